export * from "./email365_wasm.js";
export * from "../lib/api.js";
export * from "../lib/transport.js";
