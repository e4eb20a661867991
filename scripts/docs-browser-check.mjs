// The /docs page in a real browser: headless Chromium driven over the DevTools protocol (with
// Node's own WebSocket where it has one, else the `ws` package from $AGORA_NODE_MODULES, which
// scripts/api-checks installs). Checks the page
// renders Swagger UI, lists operations under every expected tag, and that "Try it out" +
// "Execute" of a public GET answers 200; writes a full-page screenshot.
//
// usage: node scripts/docs-browser-check.mjs \
//          <base-url> <screenshot.png> <tag,tag,...> [<tag>/<operationId> to try]
// env:   CHROMIUM (default `chromium`), AGORA_NODE_MODULES (where `ws` is)

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, screenshot, tagList, tryOperation = "ops/healthz"] = process.argv.slice(2);
if (!base || !screenshot || tagList === undefined) {
  console.error("usage: docs-browser-check.mjs <base-url> <screenshot.png> <tags> [tag/operationId]");
  process.exit(2);
}
const WebSocketClass =
  globalThis.WebSocket ??
  createRequire(`${process.env.AGORA_NODE_MODULES ?? "node_modules"}/`)("ws");
const expectedTags = tagList.split(",").filter(Boolean);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const profile = mkdtempSync(join(tmpdir(), "agora-chromium-"));
const chromium = spawn(
  process.env.CHROMIUM || "chromium",
  [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
    `--user-data-dir=${profile}`,
    "--window-size=1280,1600",
    "about:blank",
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
let chromiumLog = "";
const devtools = new Promise((resolve, reject) => {
  chromium.stderr.on("data", (chunk) => {
    chromiumLog += chunk;
    const m = /DevTools listening on (ws:\/\/[^\s]+)/.exec(chromiumLog);
    if (m) resolve(m[1]);
  });
  chromium.on("exit", (code) => reject(new Error(`chromium exited (${code}):\n${chromiumLog}`)));
  setTimeout(() => reject(new Error(`chromium did not start in 30s:\n${chromiumLog}`)), 30_000);
});

function finish(code, message) {
  if (message) (code === 0 ? console.log : console.error)(message);
  chromium.kill("SIGTERM");
  try {
    rmSync(profile, { recursive: true, force: true });
  } catch {}
  process.exit(code);
}

let socket;
let nextId = 0;
const pending = new Map();
function cdp(method, params = {}) {
  const id = ++nextId;
  socket.send(JSON.stringify({ id, method, params }));
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, method });
    setTimeout(() => reject(new Error(`${method}: no answer in 30s`)), 30_000);
  });
}

async function evaluate(expression) {
  const r = await cdp("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
  if (r.exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(r.exceptionDetails)}`);
  return r.result.value;
}

/// Polls `expression` until it is truthy; its last value otherwise.
async function waitFor(what, expression, seconds = 20) {
  let value;
  for (let i = 0; i < seconds * 4; i++) {
    value = await evaluate(expression);
    if (value) return value;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what} (last value ${JSON.stringify(value)})`);
}

/// Clicks the element `expression` evaluates to as a user would: the mouse, at its centre.
async function click(expression) {
  const box = await evaluate(`(() => {
    const e = ${expression};
    if (!e) return null;
    e.scrollIntoView({ block: "center" });
    const r = e.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  })()`);
  if (!box) throw new Error(`nothing to click: ${expression}`);
  for (const type of ["mouseMoved", "mousePressed", "mouseReleased"]) {
    await cdp("Input.dispatchMouseEvent", { type, x: box.x, y: box.y, button: "left", clickCount: 1 });
  }
}

async function shoot() {
  const shot = await cdp("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
  writeFileSync(screenshot, Buffer.from(shot.data, "base64"));
  console.log(`screenshot: ${screenshot}`);
}

async function main() {
  const browserUrl = await devtools;
  const port = new URL(browserUrl).port;
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const page = targets.find((t) => t.type === "page");
  if (!page) throw new Error(`no page target: ${JSON.stringify(targets)}`);
  socket = new WebSocketClass(page.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = (e) => reject(new Error(`DevTools socket: ${e.message ?? e}`));
  });
  const consoleErrors = [];
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id && pending.has(message.id)) {
      const { resolve, reject, method } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
      else resolve(message.result);
    } else if (message.method === "Runtime.exceptionThrown") {
      consoleErrors.push(JSON.stringify(message.params.exceptionDetails));
    }
  };
  await cdp("Page.enable");
  await cdp("Runtime.enable");
  await cdp("Emulation.setDeviceMetricsOverride", {
    width: 1280,
    height: 1600,
    deviceScaleFactor: 1,
    mobile: false,
  });
  await cdp("Page.navigate", { url: `${base}/docs/` });

  try {
    // Swagger UI rendered the document: its title and its tag sections.
    const title = await waitFor(
      "the document's title",
      `document.querySelector('.information-container .title')?.textContent ?? ''`,
    );
    if (!title.includes("Agora")) throw new Error(`unexpected title ${title}`);
    const counts = await waitFor(
      "operations under the tags",
      `(() => {
         const sections = [...document.querySelectorAll('.opblock-tag-section')];
         if (sections.length === 0) return null;
         return Object.fromEntries(sections.map((s) => [
           s.querySelector('.opblock-tag')?.getAttribute('data-tag'),
           s.querySelectorAll('.opblock').length,
         ]));
       })()`,
    );
    console.log(`operations per tag on /docs: ${JSON.stringify(counts)}`);
    const missing = expectedTags.filter((t) => !(counts[t] > 0));
    if (missing.length) throw new Error(`tags without operations on /docs: ${missing.join(", ")}`);

    // Try it out: expand the operation, "Try it out", "Execute", and read the status.
    const [tag, operationId] = tryOperation.split("/");
    const block = `document.getElementById('operations-${tag}-${operationId}')`;
    await waitFor(`operation ${tryOperation}`, `!!${block}`);
    await click(`${block}.querySelector('.opblock-summary-control')`);
    // "Try it out" is on from the start (tryItOutEnabled): the Execute button shows at once;
    // press "Try it out" only when it is there and off.
    await waitFor(
      "the Try it out or Execute button",
      `!!${block}.querySelector('.execute, .try-out__btn')`,
    );
    const tryOut = `${block}.querySelector('.try-out__btn')`;
    if (
      await evaluate(`!${block}.querySelector('.execute') && /try it out/i.test(${tryOut}?.textContent ?? '')`)
    ) {
      await click(tryOut);
    }
    await waitFor("the Execute button", `!!${block}.querySelector('.execute')`);
    await click(`${block}.querySelector('.execute')`);
    const status = await waitFor(
      "the live response",
      `${block}.querySelector('.live-responses-table .response .response-col_status')?.textContent?.trim()`,
    );
    console.log(`try it out ${tryOperation}: ${status}`);
    await shoot();
    if (!status.startsWith("200")) throw new Error(`try it out answered ${status}, not 200`);
    if (consoleErrors.length) throw new Error(`page errors: ${consoleErrors.join("\n")}`);
  } catch (error) {
    try {
      await shoot();
      const [tag, operationId] = tryOperation.split("/");
      const html = await evaluate(
        `document.getElementById('operations-${tag}-${operationId}')?.outerHTML?.slice(0, 3000)`,
      );
      console.error(`operation ${tryOperation} in the page: ${html}`);
    } catch {}
    throw error;
  }
}

main().then(
  () => finish(0, "/docs: Swagger UI renders every tag and runs a request"),
  (error) => finish(1, `/docs browser check failed: ${error.stack ?? error}`),
);
