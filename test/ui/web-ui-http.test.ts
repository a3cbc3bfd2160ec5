import { execFile, spawn } from "child_process";
import * as os from "os";
import * as net from "net";
import * as path from "path";
import { StreamingContext } from "../../index";
import { webUiOf } from "../../ui/index";
import { freePorts, get, openSocket, startedContext, T0, until } from "./ui-helpers";

const root = path.resolve(__dirname, "..", "..");

describe("the Streaming page's server", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("serves the page, its data and its WebSocket with the token, and 403 without it or with a wrong one", async () => {
    const { ui, url } = await startedContext({ "streamlab.ui.token": "s3cret" });
    expect(url).toBe(`http://127.0.0.1:${ui.port}/streaming/?token=s3cret`);
    const port = ui.port as number;
    for (const p of ["/streaming/", "/api/state", "/api/specs", "/api/batch?id=1", "/static/streaming.js", "/static/vega.min.js", "/ws", "/"]) {
      expect([p, (await get(port, p)).status]).toEqual([p, 403]);
      expect([p, (await get(port, `${p}${p.includes("?") ? "&" : "?"}token=wrong`)).status]).toEqual([p, 403]);
      expect([p, (await get(port, `${p}${p.includes("?") ? "&" : "?"}token=s3cre`)).status]).toEqual([p, 403]);
    }
    const page = await get(port, "/streaming/?token=s3cret");
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="/static/vega.min.js?token=s3cret">');
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect((await get(port, "/api/state", { Authorization: "token s3cret" })).status).toBe(200);
    expect((await get(port, "/static/vega.min.js?token=s3cret")).body).toContain("vega");
    await expect(openSocket(port, "")).rejects.toMatchObject({ status: 403 });
    await expect(openSocket(port, "?token=wrong")).rejects.toMatchObject({ status: 403 });
    const { ws, messages } = await openSocket(port, "?token=s3cret");
    await until(() => messages.length > 0, "the snapshot");
    expect(messages[0]).toMatchObject({ type: "snapshot", state: { app: { appName: "UiTest", batchDuration: 1000, state: "running" } } });
    ws.close();
  });

  it("a random token per context unless streamlab.ui.token sets one", async () => {
    const a = await startedContext();
    const tokenA = new URL(a.url).searchParams.get("token") as string;
    expect(tokenA).toMatch(/^[0-9a-f]{48}$/);
    await a.ssc.stop();
    expect(a.ssc.uiWebUrl()).toBeUndefined();
    const b = await startedContext();
    expect(new URL(b.url).searchParams.get("token")).not.toBe(tokenA);
  });

  it("refuses a foreign Origin (WebSocket and HTTP) and an unknown Host", async () => {
    const { ui } = await startedContext({ "streamlab.ui.token": "t" });
    const port = ui.port as number;
    await expect(openSocket(port, "?token=t", "http://evil.example")).rejects.toMatchObject({ status: 403 });
    await expect(openSocket(port, "?token=t", `http://127.0.0.1:${port + 1}`)).rejects.toMatchObject({ status: 403 });
    expect((await get(port, "/api/state?token=t", { Origin: "http://evil.example" })).status).toBe(403);
    expect((await get(port, "/api/state?token=t", { Host: `evil.example:${port}` })).status).toBe(403);
    const same = await openSocket(port, "?token=t", `http://127.0.0.1:${port}`);
    same.ws.close();
    const local = await openSocket(port, "?token=t", `http://localhost:${port}`);
    local.ws.close();
  });

  it("binds 127.0.0.1 only", async () => {
    const { ui } = await startedContext();
    const port = ui.port as number;
    const address = (ui as unknown as { server: net.Server }).server.address() as net.AddressInfo;
    expect(address.address).toBe("127.0.0.1");
    // The machine's other addresses (not link-local IPv6, which needs a scope) and IPv6 loopback: nothing listens there.
    const others = Object.values(os.networkInterfaces()).flat().filter((i) => i && !i.internal && !i.address.startsWith("fe80:")).map((i) => (i as os.NetworkInterfaceInfo).address);
    for (const host of [...others, "::1"]) {
      const refused = await new Promise<string>((resolve) => {
        const s = net.connect({ host, port }, () => { s.destroy(); resolve("connected"); });
        s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
      });
      expect([host, refused]).toEqual([host, "ECONNREFUSED"]);
    }
  });

  it("spark.ui.enabled=false starts nothing", async () => {
    const servers = () => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;
    const before = servers();
    const { ssc, ui } = await startedContext({ "spark.ui.enabled": false });
    expect(ui).toBeUndefined();
    expect(webUiOf(ssc)).toBeUndefined();
    expect(ssc.uiWebUrl()).toBeUndefined();
    expect(servers()).toBe(before);
  });

  it("pushes the completed batches over the WebSocket, coalesced, and a new socket gets the whole state", async () => {
    const { ui, clock } = await startedContext({ "streamlab.ui.token": "t" }, Array.from({ length: 60 }, (_, i) => [`w${i}`]));
    const port = ui.port as number;
    const first = await openSocket(port, "?token=t");
    await until(() => first.messages.length === 1, "the snapshot");
    const sentBefore = ui.messagesSent;
    await clock.advance(60_000);
    const done = (ms: typeof first.messages) => ms.flatMap((m) => (m.type === "update" ? m.update.completed ?? [] : m.state.completed)).length;
    await until(() => done(first.messages) === 60, "60 batches pushed");
    // 60 batches (and 360 other events) finished within a few ms: far fewer messages than events.
    expect(ui.messagesSent - sentBefore).toBeLessThanOrEqual(5);
    const times = first.messages.flatMap((m) => (m.type === "update" ? m.update.completed ?? [] : [])).map((b) => b.batchTime);
    expect(times).toEqual(Array.from({ length: 60 }, (_, i) => T0 + 1000 * (i + 1)));
    const second = await openSocket(port, "?token=t");
    await until(() => second.messages.length === 1, "the second page's snapshot");
    const snap = second.messages[0];
    expect(snap.type === "snapshot" && snap.state.completed.map((b) => b.batchTime)).toEqual(times);
    expect(snap.type === "snapshot" && snap.state.totalRecords).toBe(60);
    first.ws.close();
    second.ws.close();
  });

  it("keeps spark.streaming.ui.retainedBatches completed batches", async () => {
    const { ui, clock } = await startedContext({ "spark.streaming.ui.retainedBatches": 5 }, [["a"], ["b"], ["c"], ["d"], ["e"], ["f"], ["g"]]);
    await clock.advance(7000);
    expect(ui.model.state.completed.map((b) => b.batchTime)).toEqual([3, 4, 5, 6, 7].map((i) => T0 + 1000 * i));
    expect(ui.model.state.totalCompleted).toBe(7);
    expect((await get(ui.port as number, `/api/batch?id=${T0 + 1000}&token=${ui.token}`)).status).toBe(404);
    const kept = await get(ui.port as number, `/api/batch?id=${T0 + 7000}&token=${ui.token}`);
    expect(JSON.parse(kept.body)).toMatchObject({ batchTime: T0 + 7000, numRecords: 1, ops: [{ id: 0, name: "foreachRDD" }] });
  });

  it("a second context in another process gets the next port (Spark's 4040 → 4041, from a free base port)", async () => {
    const base = await freePorts(2);
    const { ui } = await startedContext({ "spark.ui.port": base });
    expect(ui.port).toBe(base);
    const program = `
      const { StreamingContext, ManualClock } = require(${JSON.stringify(root)});
      const ssc = new StreamingContext({ appName: "Second", batchDuration: 1000, clock: new ManualClock(0), conf: { "spark.ui.port": ${base} } });
      ssc.queueStream([]).foreachRDD(() => {});
      ssc.start();
      const wait = () => ssc.uiWebUrl() ? (console.log(ssc.uiWebUrl()), ssc.stop()) : setTimeout(wait, 10);
      wait();`;
    const child = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, ["-e", program], { timeout: 30000 }, (e, stdout, stderr) => (e ? reject(e) : resolve({ stdout, stderr })));
    });
    expect(child.stdout).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${base + 1}/streaming/\\?token=[0-9a-f]{48}\\n$`));
    expect(child.stderr).toBe(`WARN Utils: Service 'SparkUI' could not bind on port ${base}. Attempting port ${base + 1}.\n`);
  });

  it("streamlab submit prints the page's URL on stderr at start and leaves stdout to the program", async () => {
    const app = path.join(root, "test", "fixtures", "submit-app.ts");
    const child = spawn(process.execPath, [path.join(root, "bin", "streamlab.js"), "submit", "--conf", "spark.ui.port=0", app], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise((r) => child.on("close", r));
    expect(code).toBe(0);
    expect(stderr).toMatch(/^Streaming UI at http:\/\/127\.0\.0\.1:\d+\/streaming\/\?token=[0-9a-f]{48}\n$/);
    expect(stdout).toContain("(a,2)");
    expect(stdout).not.toContain("Streaming UI");
  });
});
