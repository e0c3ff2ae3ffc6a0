// email365 for Node.js, CommonJS (the ES module entry re-exports this one, so both
// share one module instance and one set of error classes).
"use strict";
const { createApi, ...errors } = require("../lib/api.cjs");
module.exports = Object.assign(createApi(require("./email365_wasm.js")), errors);
