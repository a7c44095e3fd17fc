// Helpers for the browser parts of the end-to-end tests (tests/e2e/*.js),
// which wardtest.browser_run runs in node with NODE_PATH at playwright-core
// and CHROMIUM (Debian's chromium), SHOTS (the screenshots' folder) and the
// test's own values in the environment. A script starts with
//     const { check, launch, fail, login } = require("./webtest");
const { chromium } = require("playwright-core");

// Fails the browser run with "FAIL: what" unless cond holds.
function check(cond, what) {
  if (!cond) throw new Error("FAIL: " + what);
}

// Headless Chromium ($CHROMIUM), for a script's own try/finally to close.
function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM, args: ["--no-sandbox"] });
}

// The end of a script's run: `(async () => { ... })().catch(fail);` prints
// what failed and ends the process with status 1 (which fails the test).
function fail(e) {
  console.error(e.stack || String(e));
  process.exit(1);
}

// A new page (in a context of its own, viewport width x height) logged in
// to the web application at $BASE through the login form as user with
// $PASSWORD; waits until the browser lands on a page whose URL matches
// lands (default: any page but /login). Returns { ctx, page }.
async function login(browser, user, { width = 1200, height = 800, lands } = {}) {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const page = await ctx.newPage();
  await page.goto(process.env.BASE + "/login");
  await page.fill("input[name=user]", user);
  await page.fill("input[name=password]", process.env.PASSWORD);
  await Promise.all([page.waitForURL(lands || ((u) => !u.pathname.startsWith("/login"))),
                     page.click("form.login button")]);
  return { ctx, page };
}

module.exports = { check, launch, fail, login };
