// Admin commands in the spirit of kamcmd: dotted names with help text
// (dispatcher.list, htable.dump, pike.top ...), registered by features and
// served over HTTP by the node behind bearer tokens (POST /admin/<name> with a
// JSON body of params; GET /admin/<name>?k=v for commands that change
// nothing; GET /admin for the list). `sbcctl` is the command-line client.
export type { AdminCommand, AdminResult } from './commands.ts';
export { AdminRegistry, AdminError } from './commands.ts';
export { createHttpServer, createAdminServer, createAdminMetrics, type HttpServerDeps, type AdminApi, type AdminMetrics } from './http.ts';
export { AdminTokens, createTokensFileIfMissing, parseTokens, MIN_TOKEN_LENGTH, type AdminIdentity, type AdminRole, type AdminTokensOptions } from './tokens.ts';
export { adminSection } from './config.ts';
