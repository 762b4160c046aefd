// sipp end-to-end kit: scenarios honouring the route set, a driver that runs
// sipp callers/gateways on loopback with hard timeouts and parses their
// statistics, and helpers for proxies under test (dispatcher list, OPTIONS
// ping, a silent gateway, process-group CPU accounting).
export { startUas, runUac, type UasOptions, type UasHandle, type UacOptions, type UacResult } from './sipp.ts';
export { SCENARIOS, scenarioPath, type ScenarioName, type ScenarioRef } from './scenarios.ts';
export { parseStatsCsv, parseRttCsv, parseShortMessages, sendRate, parseDuration, summarize, type SippCounters, type LatencySummary, type MessageTrace } from './stats.ts';
export { dispatcherList, type GatewayAddress } from './dispatcher.ts';
export { sipOptionsPing, waitForSipAnswer, type PingOptions } from './sip-ping.ts';
export { startSilentGateway, type SilentGateway } from './silent.ts';
export { spawnGroup, groupCpuMs, groupMinorFaults, groupContextSwitches, groupPids, groupHoldsPort, waitForGroupPort, type ProcessGroup, type GroupSpec, type Proto, type ProxyProcess } from './proc.ts';
export { adminPost, startSbcNode, sbcEntryExists, SBC_ENTRY, TEST_ADMIN_TOKEN, TEST_READ_TOKEN, type SbcNodeOptions, type SbcNodeHandle } from './sbc-node.ts';
