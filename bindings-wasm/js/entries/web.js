// email365 for browsers (and anything with ES modules and fetch): call `await init()`
// once before any other function; it fetches email365_wasm_bg.wasm beside this file.
import initWasm, { initSync as initSyncWasm } from "./email365_wasm.js";
import * as wasm from "./email365_wasm.js";
import { createApi } from "../lib/api.mjs";

export {
  errorClassFor, Email365Error, InvalidAddress, InvalidMessage, SenderNotRegistered, InvalidReply, InvalidArgument,
  SmtpError, TransientError, PermanentError, MessageTooLargeError, Smtputf8NotSupportedError, RecipientsRejectedError,
  AuthenticationError, ProtocolError, OutcomeUnknownError, ConnectionError,
  TlsError, TimeoutError, StatusApiError, NotFoundError, InvalidStatusResponse, InternalError,
} from "../lib/api.mjs";

/** Loads the WebAssembly module (default: the .wasm file beside this script). */
export default function init(moduleOrPath) {
  return initWasm(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath });
}
export { init };

/** Instantiates the module synchronously from its bytes or a compiled WebAssembly.Module. */
export function initSync(module) {
  return initSyncWasm({ module });
}

const api = createApi(wasm);
export const {
  validateAddress, classifyReply, classifyCode, extractNotificationId, statusRequest, parseStatus,
  isFinal, nextDelay, statusHttpError, buildMessage, envelopeFromMessage, errorKinds, version, getStatus, waitForStatus,
  StatusPoller,
} = api;
