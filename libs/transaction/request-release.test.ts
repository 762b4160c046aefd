// A transaction that has its final response lingers for retransmissions with
// only the final's bytes (server) or the ACK's (client): the request is let
// go. Before that a client transaction keeps the request as the bytes it sent.
import { describe, expect, it } from 'vitest';
import { createResponse } from '#libs/sip';
import { makeRequest, makeResponse, reparse, setup, source, target } from './test-support.ts';

describe('transactions let go of the request once the final is in', () => {
  it('INVITE server: request readable while proceeding, released after the 2xx; retransmissions still answered', () => {
    const { layer, rec } = setup();
    const req = makeRequest('INVITE');
    const d = layer.receiveRequest(req, source());
    if (d.kind !== 'new') throw new Error(d.kind);
    expect(d.tx.request).toBe(req);
    d.tx.respond(createResponse(req, 200, 'OK', { toTag: 't' }));
    expect(() => d.tx.request).toThrow(/no longer holds its request/);
    layer.receiveRequest(makeRequest('INVITE'), source());
    expect(rec.labels()).toEqual(['100', '200', '200']);
  });

  it('non-INVITE server: released after the final', () => {
    const { layer } = setup();
    const req = makeRequest('BYE');
    const d = layer.receiveRequest(req, source());
    if (d.kind !== 'new') throw new Error(d.kind);
    d.tx.respond(createResponse(req, 200, 'OK', { toTag: 't' }));
    expect(() => d.tx.request).toThrow(/request_released|no longer holds/);
  });

  it('INVITE client: kept through provisionals, released after a non-2xx whose retransmission still gets the ACK again', () => {
    const { layer, rec } = setup();
    const req = reparse(makeRequest('INVITE', { branch: 'z9hG4bKclient1' }));
    const tx = layer.sendRequest(req, target());
    layer.receiveResponse(makeResponse(req, 180, 'Ringing', 'gw'), target());
    // kept as the bytes that went out: each read is a new message parsed from them
    expect(tx.request).not.toBe(req);
    expect(tx.request.serialize().toString('latin1')).toBe(req.serialize().toString('latin1'));
    const busy = makeResponse(req, 486, 'Busy Here', 'gw');
    layer.receiveResponse(busy, target());
    expect(() => tx.request).toThrow(/no longer holds/);
    layer.receiveResponse(makeResponse(req, 486, 'Busy Here', 'gw'), target());
    expect(rec.labels()).toEqual(['INVITE', 'ACK', 'ACK']);
  });

  it('non-INVITE client: released after the final', () => {
    const { layer } = setup();
    const req = reparse(makeRequest('BYE', { branch: 'z9hG4bKclient2' }));
    const tx = layer.sendRequest(req, target());
    layer.receiveResponse(makeResponse(req, 200, 'OK', 'gw'), target());
    expect(() => tx.request).toThrow(/no longer holds/);
  });
});
