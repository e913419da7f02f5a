// @lastcall/fastify public surface: the plugin and its options. No deep imports.
export { type LastcallFastifyOptions, lastcall } from './plugin.js';
