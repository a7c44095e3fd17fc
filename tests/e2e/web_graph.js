// The link analysis page in headless Chromium, as a force officer sees it:
// the SVG network of their subject, another force's subject as a "held
// elsewhere" node with whom to contact and none of its details, a refused
// shared mailbox, the caveat; another force's subject itself is refused.
// Run by web_graph.sh with NODE_PATH pointing at playwright-core.
const { check, launch, fail, login } = require("./webtest");

const { BASE, SUBJECT, OTHER, SECRET, SHOTS } = process.env;

(async () => {
  const browser = await launch();
  try {
    const { ctx, page } = await login(browser, "swp", { height: 900, lands: /\/queue$/ });

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
})().catch(fail);
