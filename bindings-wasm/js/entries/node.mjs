// email365 for Node.js, ES module: the CommonJS build's exports (one instance).
import api from "./index.cjs";

export const {
  validateAddress, classifyReply, classifyCode, extractNotificationId, statusRequest, parseStatus,
  isFinal, nextDelay, statusHttpError, buildMessage, envelopeFromMessage, errorKinds, version, getStatus, waitForStatus,
  StatusPoller, createTransport, email365Transport,
  errorClassFor, Email365Error, InvalidAddress, InvalidMessage, SenderNotRegistered, InvalidReply, InvalidArgument,
  SmtpError, TransientError, PermanentError, MessageTooLargeError, Smtputf8NotSupportedError, RecipientsRejectedError,
  AuthenticationError, ProtocolError, OutcomeUnknownError, ConnectionError,
  TlsError, TimeoutError, StatusApiError, NotFoundError, InvalidStatusResponse, InternalError,
} = api;
export default api;
