// The `web` build: an init function, then the same API.
import init, { initSync, validateAddress, Email365Error } from "email365/web";

await init();
initSync(new Uint8Array(0));
const local: string = validateAddress("a@example.com").local;
const isError: boolean = new Error() instanceof Email365Error;
export { local, isError };
