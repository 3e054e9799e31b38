// The same requests with Node's http module (a keep-alive agent, so the
// race reuses its socket); prints `no error: status S, N body bytes`
// or `CODE: MESSAGE`.
// usage: node node_client.js PORT [--race] [--upload N] [--pause SECONDS]
const http = require('http');
const args = process.argv.slice(2);
const port = Number(args[0]);
const race = args.includes('--race');
const upload = args.includes('--upload') ? Number(args[args.indexOf('--upload') + 1]) : 0;
const pause = args.includes('--pause') ? Number(args[args.indexOf('--pause') + 1]) : 0;
const agent = new http.Agent({ keepAlive: true });
const paths = race ? ['/first', '/second'] : ['/'];
let done = false;
function finish(line) {
  if (done) return;
  done = true;
  console.log(line);
  agent.destroy();
}
function one(i) {
  const req = http.request({ host: '127.0.0.1', port, path: paths[i], agent,
                             method: upload ? 'POST' : 'GET' }, (res) => {
    let n = 0;
    res.pause();
    setTimeout(() => res.resume(), pause * 1000);
    res.on('data', (c) => { n += c.length; });
    res.on('error', (e) => finish(`${e.code}: ${e.message}`));
    res.on('aborted', () => finish(`aborted: the response ended after ${n} body bytes`));
    res.on('end', () => {
      if (i + 1 < paths.length) setImmediate(() => one(i + 1));
      else finish(`no error: status ${res.statusCode}, ${n} body bytes`);
    });
  });
  req.on('error', (e) => finish(`${e.code}: ${e.message}`));
  if (upload) req.write(Buffer.alloc(upload, 'u'));
  req.end();
}
one(0);
