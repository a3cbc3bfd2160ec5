#!/usr/bin/env node
/**
 * The benchmark's socket feed, a separate process (like `nc -lk`): `node sender.js POOL_FILE RATE`
 * listens on 127.0.0.1 (port 0), prints `PORT n`, and when a client (socketTextStream) connects,
 * prints `T0 t` and sends the pool's lines, cycling, so that line k leaves by t0 + k / RATE
 * (every 5 ms it writes the lines due so far; when the socket's buffer is full it waits for
 * `drain`, so a slow reader makes the lines late, which the latency figures then show).
 */
const fs = require("fs");
const net = require("net");

const [poolFile, rateArg] = process.argv.slice(2);
const rate = Number(rateArg);
const pool = fs.readFileSync(poolFile);
const starts = [0];
for (let i = 0; i < pool.length; i++) if (pool[i] === 10 && i + 1 < pool.length) starts.push(i + 1);
const lineCount = starts.length;
const end = (k) => (k + 1 < lineCount ? starts[k + 1] : pool.length);

const server = net.createServer((socket) => {
  server.close();
  socket.setNoDelay(true);
  socket.on("error", () => process.exit(0));
  socket.on("close", () => process.exit(0));
  const t0 = Date.now();
  process.stdout.write(`T0 ${t0}\n`);
  let sent = 0;
  let waiting = false;
  const tick = () => {
    if (waiting) return;
    const due = Math.floor(((Date.now() - t0) * rate) / 1000);
    let ok = true;
    while (sent < due && ok) {
      const from = sent % lineCount;
      const n = Math.min(due - sent, lineCount - from);
      ok = socket.write(pool.subarray(starts[from], end(from + n - 1)));
      sent += n;
    }
    if (!ok) {
      waiting = true;
      socket.once("drain", () => { waiting = false; });
    }
  };
  setInterval(tick, 5);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${server.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
