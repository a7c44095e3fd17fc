// The grading page in headless Chromium, driven by the keyboard only:
// the first picture arrives blurred, 'r' reveals it (and the exposure count
// rises), 'a' grades the group and moves on, 'u' takes it back, 'j' walks to
// the changed item, which is shown as text and never as a picture; the
// group of a picture, its copy, mirror and resized re-encode shows its 4
// items and 'c' grades them at once; a reload resumes with the grade kept.
// Screenshots go to $SHOTS. Run by grade.sh with NODE_PATH at playwright-core.
const { check, launch, fail } = require("./webtest");

const { URL_, SHOTS } = process.env;

(async () => {
  const browser = await launch();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
    const errors = [];
    // A 410 for the changed item is the answer expected; anything else is not.
    page.on("console", (m) => m.type() === "error" && !m.text().includes("status of 410") &&
                              errors.push(m.text()));
    await page.goto(URL_);
    await page.waitForSelector("#items img");
    check((await page.textContent("#why")).includes("group 1 of 6"), "first group");
    check((await page.textContent("#why")).includes("bits from an alert-list entry"), "reason shown");
    const img = page.locator("#items img").first();
    check((await img.getAttribute("class")) === "blur", "blurred by default");
    const filter = await img.evaluate((e) => getComputedStyle(e).filter);
    check(filter.includes("blur") && filter.includes("grayscale"), "CSS blur: " + filter);
    await page.screenshot({ path: SHOTS + "/grade-blurred.png" });

    await page.keyboard.press("r");
    await page.waitForSelector("#items img.clear");
    await page.waitForFunction(() => document.querySelector("#exposure").textContent.includes("1 revealed"));

    await page.keyboard.press("a");
    await page.waitForFunction(() => document.querySelector("#why").textContent.includes("group 2 of 6"));
    check((await page.textContent("#progress")).startsWith("1 of 6 groups graded"), "progress");
    check((await page.textContent("#progress")).includes("items/minute"), "rate");

    await page.keyboard.press("u");
    await page.waitForFunction(() => document.querySelector("#grade").textContent === "not graded" &&
                                     document.querySelector("#why").textContent.includes("group 1 of 6"));
    check((await page.textContent("#progress")).startsWith("0 of 6"), "undone");
    check((await page.textContent("#exposure")).includes("1 revealed"), "reveal counted once");

    await page.keyboard.press("j");
    await page.waitForFunction(() => document.querySelector("#why").textContent.includes("group 2 of 6"));
    await page.keyboard.press("j");
    await page.waitForSelector("#items .missing");
    check((await page.textContent("#items .missing")).includes("digest mismatch"), "mismatch said");
    check((await page.locator("#items img").count()) === 0, "changed item not displayed");
    await page.screenshot({ path: SHOTS + "/grade-mismatch.png" });

    // grouping: the q2821 picture, its copy, mirror and resized re-encode
    // are one group of 4, shown together; 'c' grades all four at once
    for (let i = 0; i < 6 && !(await page.textContent("#why")).includes("4 item(s)"); i++) {
      await page.keyboard.press("j");
      await page.waitForFunction((n) => document.querySelector("#why").textContent
                                          .startsWith("group " + n + " "), i + 4);
    }
    check((await page.textContent("#why")).includes("4 item(s)"), "the group of 4");
    await page.waitForFunction(() => document.querySelectorAll("#items figure").length === 4);
    const g4 = (await page.textContent("#why")).split(" ")[1];
    await page.keyboard.press("c");
    await page.waitForFunction(() => document.querySelector("#progress").textContent
                                      .startsWith("1 of 6"));

    // resume: a reloaded page keeps the grade and opens at the first
    // group not graded
    await page.reload();
    await page.waitForSelector("#items figure");
    check((await page.textContent("#progress")).startsWith("1 of 6"), "grade kept on reload");
    check((await page.textContent("#why")).startsWith("group 1 "), "resumed at the first ungraded");
    for (let i = 1; i < Number(g4); i++) await page.keyboard.press("j");
    await page.waitForFunction((n) => document.querySelector("#why").textContent
                                        .startsWith("group " + n + " "), g4);
    check((await page.textContent("#grade")).startsWith("graded C"), "the group's grade shown");

    // Moving on while a group's pictures load: the new view shows its own
    // items only. The pictures are held back while the view goes from the
    // group of 4 to the group before it, then let through in order; the
    // group of 4's drawing used to go on into the new view (on a slow
    // machine or link, pressing j quickly showed another group's pictures).
    const held = [];
    let holding = true;
    await page.route("**/thumb?*", (route) => holding ? held.push(route) : route.continue());
    const at = (n) => page.waitForFunction((n) => document.querySelector("#why").textContent
                                                  .startsWith("group " + n + " "), String(n));
    const heldAt = async (n) => { while (held.length < n) await new Promise((r) => setTimeout(r, 10)); };
    await page.keyboard.press("k"); await at(Number(g4) - 1); await heldAt(1);
    await page.keyboard.press("j"); await at(Number(g4)); await heldAt(2);
    await page.keyboard.press("k"); await at(Number(g4) - 1); await heldAt(3);
    holding = false;
    for (const route of held) {   // each answered whole before the next
      const done = page.waitForEvent("response", (r) => r.request() === route.request());
      await route.fulfill({ response: await route.fetch() });
      await done;
    }
    await page.waitForFunction(() => [...document.querySelectorAll("#items figure")]
      .some((f) => f.querySelector("img") || f.classList.contains("missing")));
    const view = await page.evaluate(() => ({
      want: Q.groups[cur].items.slice(0, 12).map((it) => String(it.seq)),
      got: [...document.querySelectorAll("#items figure")].map((f) => f.dataset.seq) }));
    check(JSON.stringify(view.got) === JSON.stringify(view.want),
          "the view holds its own group's items only: " + JSON.stringify(view));
    check(errors.length === 0, "console errors: " + errors.join("; "));
    console.log("browser: ok");
  } finally {
    await browser.close();
  }
})().catch(fail);
