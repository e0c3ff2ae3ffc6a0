export * from "./email365_wasm.js";
export * from "../lib/api.js";
import type { InitInput } from "./email365_wasm.js";
/** Loads the WebAssembly module (default: the .wasm file beside this script). */
export default function init(moduleOrPath?: InitInput | Promise<InitInput>): Promise<unknown>;
export { init };
/** Instantiates the module synchronously from its bytes or a compiled WebAssembly.Module. */
export function initSync(module: BufferSource | WebAssembly.Module): unknown;
