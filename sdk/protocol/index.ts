// @gradpilot/sdk/protocol: the wire types, their validation and the socket event names,
// shared by the SDK, the server and the dashboard.
export * from './api-types.ts';
export * from './socket-events.ts';
export * from './validate.ts';
export * from './wire-number.ts';
