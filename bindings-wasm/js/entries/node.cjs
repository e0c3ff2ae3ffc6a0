// email365 for Node.js, CommonJS (the ES module entry re-exports this one, so both
// share one module instance and one set of error classes). The Node module also carries
// the SMTP transport (createTransport; lib/transport.cjs).
"use strict";
const { createApi, convertError, ...errors } = require("../lib/api.cjs");
const { createTransportApi } = require("../lib/transport.cjs");
const wasm = require("./email365_wasm.js");
module.exports = Object.assign(createApi(wasm), errors, createTransportApi(wasm, convertError));
