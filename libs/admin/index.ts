// Admin commands in the spirit of kamcmd: dotted names with help text
// (dispatcher.list, htable.dump, pike.top ...), registered by features and
// served over HTTP by the node (POST /admin/<name> with a JSON body of params,
// GET /admin for the list).
export type { AdminCommand, AdminResult } from './commands.ts';
export { AdminRegistry, AdminError } from './commands.ts';
export { createHttpServer, type HttpServerDeps } from './http.ts';
