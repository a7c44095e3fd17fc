// The link analysis page in headless Chromium, as a force officer sees it:
// the SVG network of their subject, another force's subject as a "held
// elsewhere" node with whom to contact and none of its details, a refused
// shared mailbox, the caveat; another force's subject itself is refused.
// Run by web_graph.sh with NODE_PATH pointing at playwright-core.
const { chromium } = require("playwright-core");

const { BASE, PASSWORD, SUBJECT, OTHER, SECRET, SHOTS, CHROMIUM } = process.env;

function check(cond, what) {
  if (!cond) throw new Error("FAIL: " + what);
}

(async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(BASE + "/login");
    await page.fill("input[name=user]", "swp");
    await page.fill("input[name=password]", PASSWORD);
    await Promise.all([page.waitForURL(/\/queue$/), page.click("form.login button")]);

    await page.goto(BASE + "/graph/" + SUBJECT + "?depth=3");
    check((await page.textContent("h1")).includes(SUBJECT), "graph page");
    check((await page.locator("figure.graph svg").count()) === 1, "one SVG drawn");
    check((await page.locator("script").count()) === 0, "no script on the page");
    const elsewhere = page.locator("svg g.node.elsewhere");
    check((await elsewhere.count()) === 1, "one held-elsewhere node");
    check((await elsewhere.textContent()).includes("held elsewhere, contact West Yorkshire Police"),
          "whom to contact");
    check((await page.locator("svg g.node.refused").count()) >= 1, "the shared mailbox, refused");
    const html = await page.content();
    check(!html.includes(SECRET), "nothing of the other force's subject beyond the link");
    check(html.includes("Suspicion is not guilt"), "the caveat");
    const box = await page.locator("figure.graph svg").boundingBox();
    check(box && box.width > 500 && box.height > 400, "the drawing has a size");
    await page.screenshot({ path: SHOTS + "/graph.png", fullPage: true });

    const r = await page.goto(BASE + "/graph/" + OTHER);
    check(r.status() === 403, "another force's subject refused: " + r.status());
    await ctx.close();
    console.log("browser: graph checks passed");
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.log(e.message);
  process.exit(1);
});
