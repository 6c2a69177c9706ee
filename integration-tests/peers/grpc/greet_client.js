// A @grpc/grpc-js client for oxidubbo's Triple interop tests: calls greet.GreetService
// (examples/proto/greet.proto, loaded at run time by @grpc/proto-loader) unary and bidi,
// and prints one JSON object with what came back.
//
//   node greet_client.js --proto greet.proto --target 127.0.0.1:N [--names a,b,c]
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const proto = path.resolve(arg('proto'));
const target = arg('target');
const names = arg('names', 'world').split(',');
const deadline = () => Date.now() + 10000;

const def = protoLoader.loadSync(proto, { keepCase: true, defaults: true });
const Greet = grpc.loadPackageDefinition(def).greet.GreetService;
const client = new Greet(target, grpc.credentials.createInsecure());

function unary() {
  return new Promise((resolve, reject) => {
    client.Greet({ name: names[0] }, new grpc.Metadata(), { deadline: deadline() },
      (err, res) => (err ? reject(err) : resolve(res.greeting)));
  });
}

function bidi() {
  return new Promise((resolve, reject) => {
    const out = [];
    const call = client.GreetStream(new grpc.Metadata(), { deadline: deadline() });
    call.on('data', (m) => out.push(m.greeting));
    call.on('error', reject);
    call.on('end', () => resolve(out));
    for (const n of names) call.write({ name: n });
    call.end();
  });
}

(async () => {
  try {
    const result = { Greet: await unary(), GreetStream: await bidi() };
    console.log(JSON.stringify(result));
    client.close();
  } catch (e) {
    console.log(JSON.stringify({ error: String(e && e.message), code: e && e.code }));
    client.close();
    process.exitCode = 1;
  }
})();
