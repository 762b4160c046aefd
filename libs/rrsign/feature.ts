// The rr-sign feature: signed Record-Route, and refusal of in-dialog requests
// whose Route names this cluster without our signature (issue 20).
import { Counter } from 'prom-client';
import type { NodeConfig } from '#libs/config';
import { defineFeature } from '#libs/feature';
import { permissionsFeature } from '#libs/permissions';
import { OwnAddresses } from '#libs/proxy';
import { rrSignSection, type RrSignConfig } from './config.ts';
import { RR_SIGN_REJECTIONS } from './rejections.ts';
import { RouteSigner } from './signer.ts';
import { rrCheckStep, rrSignStep, type CheckResult } from './steps.ts';

type RrSignNodeConfig = NodeConfig & { readonly rr_sign: RrSignConfig };

export const rrSignFeature = defineFeature<RrSignNodeConfig>({
  name: 'rr-sign',
  doc: 'Signs the Record-Route the node inserts and refuses in-dialog requests whose Route to this cluster it did not sign (403), unless trusted.',
  sections: [rrSignSection],
  rejections: Object.values(RR_SIGN_REJECTIONS),
  metrics: ['sbc_rr_sign_checks_total'],
  start(ctx) {
    const c = ctx.config.rr_sign;
    if (c.mode === 'off' || c.secret === undefined) return {};
    // topoh with mask_callid shows the callee another Call-ID than the one signed: its requests could not be checked
    const topology = (ctx.config as { readonly topology?: { readonly mode: string; readonly mask_callid: boolean } }).topology;
    if (topology?.mode === 'topoh' && topology.mask_callid) {
      throw new Error('rr_sign.mode sign/enforce cannot be used with topology.mode topoh and topology.mask_callid (the callee sees a sealed Call-ID, not the one signed): turn one of them off');
    }
    const signer = new RouteSigner(c.secret, c.previous_secrets);
    const trusted = ctx.use(permissionsFeature).trusted;
    const checks = new Counter({ name: 'sbc_rr_sign_checks_total', help: 'In-dialog requests with a Route to this node, by signature check result (valid, unsigned_accepted: rr_sign.mode sign lets it pass, trusted: a trusted source, refused)', labelNames: ['result'], registers: [ctx.registry] });
    const byResult = Object.fromEntries((['valid', 'unsigned_accepted', 'trusted', 'refused'] as const).map((r) => [r, checks.labels(r)])) as Record<CheckResult, { inc(): void }>;
    const own = new OwnAddresses(ctx.transport.sockets, ctx.config.sip.aliases);
    ctx.logger.info({ mode: c.mode, previousSecrets: c.previous_secrets.length }, 'Record-Route signing on');
    return {
      steps: [
        { place: 'screening', step: rrCheckStep({ signer, own, enforce: c.mode === 'enforce', trusted, count: (r) => byResult[r].inc() }) },
        { place: 'final', step: rrSignStep(signer) },
      ],
    };
  },
});
