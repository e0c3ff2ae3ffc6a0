// Compiled (never run) by types.test.mjs with `tsc --strict`: the declarations of the
// package, generated from the Rust types, must describe every function, option object
// and result, and reject misuse (the @ts-expect-error lines must be errors).
import {
  validateAddress, classifyReply, classifyCode, extractNotificationId, statusRequest, parseStatus,
  isFinal, nextDelay, buildMessage, envelopeFromMessage, errorKinds, getStatus, waitForStatus,
  Email365Error, InvalidAddress, TransientError, StatusApiError,
} from "email365";
import type {
  AddressInfo, ReplyClassification, NotificationData, StatusRequestData, BuiltMessageData,
  MessageInput, ErrorKind, ValidateAddressOptions,
} from "email365";

const options: ValidateAddressOptions = { mode: "header", allowQuotedLocal: true };
const a: AddressInfo = validateAddress("Ann <ann@example.com>", options);
const name: string | null = a.displayName;
const c: ReplyClassification = classifyReply("550 5.1.1 no", { command: "RCPT" });
const severity: "success" | "intermediate" | "transient" | "permanent" = c.severity;
const c2: ReplyClassification = classifyCode(421, { enhanced: "4.4.2" });
const id: string | null = extractNotificationId("250 ok");
const r: StatusRequestData = statusRequest({ accountId: "a", notificationId: "n", username: "u", password: "p" });
const auth: string = r.headers.authorization;
const n: NotificationData = parseStatus("{}");
const ts: string | null = n.events[0].timestamp;
const final: boolean = isFinal("CH_SENT");
const delay: number = nextDelay(0, null);
const input: MessageInput = {
  from: "a@example.com", to: ["b@example.com"], subject: "s", text: "t",
  attachments: [{ filename: "a.bin", content: new Uint8Array([1]) }], headers: { "X-A": "1" },
};
const m: BuiltMessageData = buildMessage(input);
const bytes: Uint8Array = m.bytes;
const rcpt: string[] = m.envelope.rcptTo;
const e2 = envelopeFromMessage(bytes);
const kinds: ErrorKind[] = errorKinds();
const p1: Promise<NotificationData> = getStatus({ accountId: "a", notificationId: "n", username: "u", password: "p" });
const p2: Promise<NotificationData> = waitForStatus({
  accountId: "a", notificationId: "n", username: "u", password: "p", timeoutMs: 1000, onUpdate: (x) => x.found,
});

try {
  validateAddress("x");
} catch (e) {
  if (e instanceof InvalidAddress) {
    const k: ErrorKind = e.kind;
    const reason: string | null = e.reason;
    const position: number | null = e.position;
  }
  if (e instanceof TransientError) {
    const code: number | null = e.code;
  }
  if (e instanceof StatusApiError) {
    const status: number | null = e.status;
  }
  if (e instanceof Email365Error && e.kind === "invalid_address") {
    const named: "Email365Error" = e.name;
  }
}

// @ts-expect-error mode is "envelope" | "header"
validateAddress("a@b.c", { mode: "loose" });
// @ts-expect-error `to` is a list
buildMessage({ from: "a@example.com", to: "b@example.com", subject: "s" });
// @ts-expect-error not a kind
const wrong: ErrorKind = "invalid_adress";
// @ts-expect-error the command is one of the SMTP verbs
classifyReply("250 ok", { command: "FETCH" });

export { name, severity, c2, id, auth, ts, final, delay, rcpt, e2, kinds, p1, p2, wrong };
