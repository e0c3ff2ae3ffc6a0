// email365 for bundlers that load WebAssembly as ES modules (webpack 5 with
// experiments.asyncWebAssembly, vite-plugin-wasm, …).
import * as wasm from "./email365_wasm.js";
import { createApi } from "../lib/api.mjs";

export {
  errorClassFor, Email365Error, InvalidAddress, InvalidMessage, SenderNotRegistered, InvalidReply, InvalidArgument,
  SmtpError, TransientError, PermanentError, MessageTooLargeError, Smtputf8NotSupportedError, RecipientsRejectedError,
  AuthenticationError, ProtocolError, OutcomeUnknownError, ConnectionError,
  TlsError, TimeoutError, StatusApiError, NotFoundError, InvalidStatusResponse, InternalError,
} from "../lib/api.mjs";

const api = createApi(wasm);
export const {
  validateAddress, classifyReply, classifyCode, extractNotificationId, statusRequest, parseStatus,
  isFinal, nextDelay, statusHttpError, buildMessage, envelopeFromMessage, errorKinds, version, getStatus, waitForStatus,
  StatusPoller,
} = api;
