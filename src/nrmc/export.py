"""Turn an executed briefing notebook into HTML (our nbconvert template) and PDF (system Chromium).

- `BriefingHTMLExporter` (`jupyter nbconvert --to nrmc_html`): outputs only, no code, prompts,
  stderr or tracebacks; a header with title, scope and as-of date; a contents list; print CSS;
  images embedded so that one file can be mailed.
- `BriefingPDFExporter` (`jupyter nbconvert --to nrmc_pdf`): the same HTML printed to A4 by the
  system's Chromium through Playwright (`executable_path`), never a downloaded browser.
- `PdfPrinter`: one browser, several pages, shared by a whole `nrmc build`.

Nothing here touches the network: the browser context refuses every http(s) request.

Fonts: Chromium cannot embed the CFF-flavoured Noto Sans CJK of Debian (it would draw ~200 Type 3
fonts per briefing and chart text would copy as Kangxi radicals), so `PdfPrinter` starts it with a
fontconfig setup that serves a TrueType copy of the CJK font instead (see `nrmc.fonts`): the HTML
is printed as it is, and every font in the PDF is an embedded, subset CID TrueType font.
"""
from __future__ import annotations

import asyncio
import html as _html
import logging
import os
import re
import shutil
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from nbconvert.exporters import HTMLExporter
from traitlets import Unicode, default

from nrmc import __version__, fonts, i18n
from nrmc.chromium import CHROMIUM_CANDIDATES, INSTALL_HINT, BrowserUnavailable, find_chromium  # noqa: F401

TEMPLATE_ROOT = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "nrmc_briefing"
META_MIMETYPE = "application/vnd.nrmc.meta+json"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-extensions",
    "--font-render-hinting=none",
    "--in-process-gpu",  # one process fewer (~60 MB): nothing here needs a GPU
]

PDF_MARGIN = {"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}
# The print layout below measures the document in the browser window, so the window is as wide as
# the printed text column (A4 less the side margins, in CSS px, rounded down so the measured lines
# wrap at least as often as the printed ones); at the default 1280 px tables wrapped less on screen
# than on paper and full summary pages overflowed.
PRINT_VIEWPORT = {"width": int((210 - 15 - 15) / 25.4 * 96), "height": 1000}
RECYCLE_PAGE_AFTER = 12  # documents printed on one browser page before it is replaced by a fresh one

# Print layout, done in the browser where heights are known (the HTML itself is not paginated):
# - each summary page (`section.page.summary`) is exactly one A4 page: its chart marked `.flex`
#   grows into the room the text leaves, or shrinks (to 60 %) when the text needs more; if even that
#   is not enough, the page is set in denser type (class `dense`) and the chart may shrink to 35 %
#   (never below 45 mm);
# - summary pages that their content cannot fill are set larger (zoom, up to 1.6×);
# - the analysis (`section.page.analysis`) flows over pages (div.print-page, one sheet each) in
#   reading order: sections follow one another on a page, tables and lists are cut between rows,
#   charts shrink (to 60 %) at a page foot or float to the next page's top, the densest setting is
#   used only when it saves a page, a short last page is balanced with the ones before it, and each
#   page's charts grow into its free room (see the comment in the script);
# - a page whose content does not fit even so keeps its natural height (class `overflowed`): it
#   takes more than one sheet, but nothing is ever clipped.
# Returns, per printed page, its kind and how full it is (for the build's checks and tests).
FIT_PAGES_JS = r"""() => {
  const probe = document.createElement('div');
  probe.style.cssText = 'position:absolute;visibility:hidden;height:100mm;width:100mm';
  document.body.appendChild(probe);
  const mm = probe.getBoundingClientRect().height / 100;
  probe.remove();
  const PAGE = 261 * mm, HEADER = 27 * mm, MAXW = 150 * mm;
  const svgsOf = (el) => [...el.querySelectorAll('figure.chart svg')];
  const natural = (svg) => svg.getBoundingClientRect().height;
  const ratio = (svg) => { const b = svg.viewBox && svg.viewBox.baseVal; return b && b.height ? b.width / b.height : 1.5; };
  // chart text is never printed smaller than MIN_PT: a chart shrinks no further than the height at
  // which its smallest text (in the viewBox's units, points at the chart's natural size) is MIN_PT
  const MIN_PT = 8, PT = 96 / 72;
  const smallestText = (svg) => {
    let f = Infinity;
    for (const t of svg.querySelectorAll('text')) { const v = parseFloat(getComputedStyle(t).fontSize); if (v > 0 && v < f) f = v; }
    return f;
  };
  const minH = (svg) => {
    const b = svg.viewBox && svg.viewBox.baseVal, f = smallestText(svg);
    if (!b || !b.width || !isFinite(f)) return 45 * mm;
    return Math.max(45 * mm, Math.min(b.width * MIN_PT / f * PT, MAXW) / ratio(svg));
  };
  const chartPt = (el) => {  // the smallest chart text of `el` as printed, in points
    let pt = Infinity;
    for (const svg of svgsOf(el)) {
      const b = svg.viewBox && svg.viewBox.baseVal, w = svg.getBoundingClientRect().width;
      if (b && b.width && w) pt = Math.min(pt, smallestText(svg) * w / b.width / PT);
    }
    return isFinite(pt) ? Math.round(pt * 100) / 100 : null;
  };
  const setH = (svg, h) => { svg.style.height = h + 'px'; svg.style.width = Math.min(h * ratio(svg), MAXW) + 'px'; svg.style.maxWidth = '100%'; };
  const contentH = (el) => { const prev = el.style.height; el.style.height = 'auto'; const h = el.scrollHeight; el.style.height = prev; return h; };
  const fit = (page, target, minShrink) => {
    let free = target - contentH(page);
    const svgs = svgsOf(page);
    if (free < 0) {
      const room = (s) => Math.max(0, natural(s) - Math.max(minH(s), natural(s) * minShrink));
      const total = svgs.reduce((a, s) => a + room(s), 0);
      if (total > 0) {
        const f = Math.min(1, -free / total);
        svgs.forEach((s) => setH(s, natural(s) - room(s) * f));
      }
      free = target - contentH(page);
    } else {
      const grow = page.querySelector('figure.chart.flex svg') || svgs[svgs.length - 1];
      if (grow) {
        const h0 = natural(grow), wmax = Math.min(MAXW, page.clientWidth);
        const h = Math.min(h0 + free, wmax / ratio(grow));
        if (h > h0) setH(grow, h);
        free = target - contentH(page);
      }
    }
    if (free < -1) { page.classList.add('overflowed'); page.style.height = 'auto'; }
    else { page.style.height = target + 'px'; }
    return Math.max(0, Math.min(1, 1 - free / target));
  };
  const report = [];
  const GROW_BELOW = 0.8, GROW_MAX = 1.6;
  const reset = (el) => svgsOf(el).forEach((v) => { v.style.height = ''; v.style.width = ''; v.style.maxWidth = ''; });
  for (const sec of document.querySelectorAll('section.page.summary')) {
    const target = sec.classList.contains('summary-1') ? PAGE - HEADER : PAGE;
    // the chart may shrink to 60 %; then the type gets denser (tables, notes); only then may the
    // chart shrink to 35 % (its text gets small), and only then does the page take a second sheet
    let fill = 0;
    for (const [minShrink, dense] of [[0.6, false], [0.6, true], [0.35, true]]) {
      sec.classList.remove('overflowed'); sec.style.height = ''; reset(sec);
      sec.classList.toggle('dense', dense);
      fill = fit(sec, target, minShrink);
      if (!sec.classList.contains('overflowed')) break;
    }
    // a summary page that its chart cannot fill (a short list, or no chart) is set larger, up to
    // GROW_MAX, as large as fits: key messages in larger type rather than a half-empty page
    if (!sec.classList.contains('overflowed') && !sec.classList.contains('dense') && fill < GROW_BELOW) {
      const kids = [...sec.children].filter((k) => k.tagName !== 'STYLE');
      let best = 1;
      for (let g = 1.05; g <= GROW_MAX + 1e-6; g += 0.05) {
        kids.forEach((k) => { k.style.zoom = g; });
        if (contentH(sec) > target - 2 * mm) break;
        best = g;
      }
      kids.forEach((k) => { k.style.zoom = best > 1 ? String(best) : ''; });
      fill = Math.max(0, Math.min(1, contentH(sec) / target));
      if (best > 1) sec.dataset.grow = best.toFixed(2);
    }
    report.push({kind: 'summary', fill, overflowed: sec.classList.contains('overflowed'), dense: sec.classList.contains('dense'),
                 chartPt: chartPt(sec)});
  }
  // The analysis flows over its pages in reading order (div.print-page, each one sheet): a section
  // starts right under the one before it; a table or list that does not fit at a page foot is cut
  // between rows (a table's header repeats, its caption stays with its first rows; rows a cell spans
  // stay together), any other block (paragraph, chart, box) goes over whole, taking the headings
  // before it along. A chart that does not fit at a page foot shrinks (to 60 %, its text never under
  // MIN_PT) if that makes it fit; one that would leave its page under FLOAT_BELOW full floats to the
  // top of the next page instead, and the rest of its section fills this one. Of three settings
  // (charts as drawn; charts at their smallest; and denser type too) the first that gives the fewest
  // pages is kept; a last page under LAST_FILL full is then filled by cutting the pages before it
  // shorter (content moves on, never back; the cut whose emptiest page is fullest), and each page's
  // charts grow into the room left on it.
  const LAST_FILL = 0.62, FLOAT_BELOW = 0.6, ZOOM_BELOW = 0.7, ZOOM_MAX = 1.3;
  const KEEP_NEXT = /^(H2|H3|H4)$/;
  const low = (svg, nat) => Math.min(nat, Math.max(minH(svg), nat * 0.6));
  const flow = (part, saved, mode, cap) => {
    part.innerHTML = saved;  // each try starts from the document as it came
    part.classList.toggle('dense', mode.dense);
    const secs = [...part.querySelectorAll(':scope > section.page.analysis')];
    const nat = new Map();
    for (const svg of svgsOf(part)) { const h = natural(svg); nat.set(svg, h); if (mode.shrink) setH(svg, low(svg, h)); }
    const pages = [];
    let page = null, shell = null, real = 0, todo = [];
    const floats = [];
    // a page's first block may take the whole sheet; the others stop at `cap`
    const fits = () => contentH(page) <= (real === 0 ? PAGE : cap) + 0.5;
    const nextPage = (keepShell) => {
      const fresh = document.createElement('div');
      fresh.className = 'print-page';
      page.after(fresh);
      pages.push(fresh);
      page = fresh;
      real = 0;
      if (keepShell) page.appendChild(shell);
      else {
        const s2 = shell.cloneNode(false);  // the section goes on: its box again, without its id
        s2.removeAttribute('id');
        s2.classList.add('continued');
        page.appendChild(s2);
        shell = s2;
      }
      while (floats.length) place(floats.shift());
    };
    const split = (el) => {  // the rows of `el` that do not fit here, in a copy of it (or null)
      const table = el.matches('table') ? el : el.matches('.table-wrap') ? el.querySelector(':scope > table') : null;
      let box, items;
      if (table && table.tBodies.length === 1) { box = table.tBodies[0]; items = [...box.rows]; }
      else if (el.matches('ul, ol')) { box = el; items = [...el.children].filter((c) => c.tagName === 'LI'); }
      else return null;
      const keep = table ? 2 : 1;  // a caption and header never stand with less than two rows
      if (items.length < keep + 1) return null;
      let k = items.length;
      const spanned = (k) => items.slice(0, k).some((r, i) => r.cells && Math.max(1, ...[...r.cells].map((c) => c.rowSpan || 1)) + i > k);
      while (k > keep) {  // rows off the end, one at a time (those a cell spans together) until it fits
        items[--k].remove();
        while (k > keep && spanned(k)) items[--k].remove();
        if (fits()) break;
      }
      if (k >= items.length || !fits()) { items.slice(k).forEach((it) => box.appendChild(it)); return null; }
      const rest = el.cloneNode(false);
      rest.removeAttribute('id');
      let into = rest;
      if (table) {
        const t = table === el ? rest : rest.appendChild(table.cloneNode(false));
        t.removeAttribute('id');
        if (table.tHead) t.appendChild(table.tHead.cloneNode(true));
        into = t.appendChild(document.createElement('tbody'));
      } else if (el.tagName === 'OL') {
        rest.setAttribute('start', String((parseInt(el.getAttribute('start') || '1', 10) || 1) + k));
      }
      items.slice(k).forEach((it) => into.appendChild(it));
      return rest;
    };
    const place = (el) => {
      shell.appendChild(el);
      if (fits()) { if (!KEEP_NEXT.test(el.tagName)) real++; return; }
      const svg = el.matches('figure.chart') ? el.querySelector('svg') : null;
      const h0 = svg ? svg.getBoundingClientRect().height : 0;
      if (svg) {
        const lo = low(svg, nat.get(svg) || h0);
        if (lo < h0 - 1) { setH(svg, lo); if (fits()) { real++; return; } setH(svg, h0); }
      }
      const rest = split(el);
      if (rest) { real++; nextPage(false); place(rest); return; }
      if (real === 0) {  // nothing but headings before it on this page: it takes more than a sheet
        if (svg) setH(svg, low(svg, nat.get(svg) || h0));
        page.classList.add('overflowed');
        real++;
        return;
      }
      // a chart that would leave this page far from full floats to the top of the next one, and
      // what follows it in its section fills this page first
      if (svg && todo.length && contentH(page) - (el.getBoundingClientRect().height) < FLOAT_BELOW * PAGE) {
        el.remove();
        floats.push(el);
        return;
      }
      const carry = [];
      for (let c = el.previousElementSibling; c && KEEP_NEXT.test(c.tagName); c = c.previousElementSibling) carry.unshift(c);
      el.remove();
      carry.forEach((c) => c.remove());
      nextPage(shell.children.length === 0);
      carry.forEach((c) => shell.appendChild(c));
      place(el);
    };
    for (const s of secs) {
      const kids = [...s.children];
      kids.forEach((k) => k.remove());
      if (!page) {
        page = document.createElement('div');
        page.className = 'print-page';
        s.before(page);
        pages.push(page);
      }
      page.appendChild(s);
      shell = s;
      todo = kids.slice();
      while (todo.length) place(todo.shift());
      while (floats.length) place(floats.shift());
    }
    return pages;
  };
  // a chart grows no further than the width at which its smallest text prints at MAX_PT (larger
  // than the running text, it would look like a poster)
  const MAX_PT = 12;
  const maxW = (svg) => {
    const b = svg.viewBox && svg.viewBox.baseVal, f = smallestText(svg);
    return b && b.width && isFinite(f) ? b.width * MAX_PT / f * PT : MAXW;
  };
  const grow = (pg) => {  // the page's charts grow (each up to the text column's width) into its free room
    const svgs = svgsOf(pg);
    if (!svgs.length || pg.classList.contains('overflowed')) return;
    const h = new Map(svgs.map((s) => [s, s.getBoundingClientRect().height]));
    const room = (s) => Math.max(0, Math.min(MAXW, pg.clientWidth, maxW(s)) / ratio(s) - h.get(s));
    const total = svgs.reduce((a, s) => a + room(s), 0);
    let free = PAGE - contentH(pg);
    if (free <= 2 || total <= 0) return;
    let f = Math.min(1, (free - 1) / total);
    for (let i = 0; i < 6 && f > 0.001; i++) {
      svgs.forEach((s) => setH(s, h.get(s) + room(s) * f));
      if (contentH(pg) <= PAGE) return;
      f *= 0.8;
    }
    svgs.forEach((s) => setH(s, h.get(s)));
  };
  const lastFill = (pages) => contentH(pages[pages.length - 1]) / PAGE;
  const parts = new Set([...document.querySelectorAll('section.page.analysis')].map((s) => s.parentElement));
  for (const part of parts) {
    const saved = part.innerHTML;
    const modes = [{shrink: false, dense: false}, {shrink: true, dense: false}, {shrink: true, dense: true}];
    // the least dense setting of those that give the fewest pages
    const counts = modes.map((m) => flow(part, saved, m, PAGE).length);
    const i = counts.indexOf(Math.min(...counts));
    const mode = modes[i], n = counts[i];
    let pages = flow(part, saved, mode, PAGE);
    pages.forEach(grow);
    if (pages.length > 1 && lastFill(pages) < LAST_FILL) {
      // the pages before the last cut shorter, as evenly as it takes: of the cuts that keep the
      // page count, the one whose emptiest page is fullest
      const minFill = (t) => Math.min(...t.map((pg) => contentH(pg) / PAGE));
      let best = {cap: PAGE, fill: minFill(pages)};
      for (let cap = PAGE * 0.97; cap >= PAGE * 0.6; cap -= PAGE * 0.03) {
        const t = flow(part, saved, mode, cap);
        if (t.length !== n) break;
        t.forEach(grow);
        const f = minFill(t);
        if (f > best.fill) best = {cap, fill: f};
      }
      pages = flow(part, saved, mode, best.cap);
      pages.forEach(grow);
    }
    // a page that stays under ZOOM_BELOW full (a short analysis, balanced over two pages, whose
    // charts are as large as they may be) is set larger, as the summary pages are
    for (const pg of pages) {
      if (pg.classList.contains('overflowed') || contentH(pg) >= ZOOM_BELOW * PAGE) continue;
      const kids = [...pg.children];
      let best = 1;
      for (let g = 1.05; g <= ZOOM_MAX + 1e-6; g += 0.05) {
        kids.forEach((k) => { k.style.zoom = g; });
        if (contentH(pg) > PAGE - 2 * mm) break;
        best = g;
      }
      kids.forEach((k) => { k.style.zoom = best > 1 ? String(best) : ''; });
    }
    for (const pg of pages) {
      const h = contentH(pg);
      if (pg.classList.contains('overflowed') || h > PAGE + 1) { pg.classList.add('overflowed'); pg.style.height = 'auto'; }
      else pg.style.height = PAGE + 'px';
      report.push({kind: 'analysis', fill: Math.max(0, Math.min(1, h / PAGE)), overflowed: pg.classList.contains('overflowed'),
                   dense: mode.dense, shrunk: mode.shrink, chartPt: chartPt(pg)});
    }
  }
  // The annex flows over as many pages as it takes; its last page is never less than a fifth
  // full. Its pages are worked out here as the printer will cut them (rows, list items and boxes
  // are never split, a heading goes with what follows it, a table's header repeats); when the last
  // page would hold less than LAST_MIN, the annex is first set tighter to pull that page back, and
  // if that is not enough its last sections start on a page of their own, which fills the last page.
  const LAST_MIN = 0.25;  // aimed at a quarter, so that the printed page is surely over a fifth
  const PAGE_FULL = PAGE;
  const ATOMS = 'tr, li, .gl-entry, p, h2, h3, h4, caption, figure, .box, .table-note, table.small, table.centres';
  const KEEP = /^(H2|H3|H4|CAPTION)$/;  // kept with what follows them
  // a block set in columns (the glossary) breaks anywhere: across pages it takes the height it
  // takes on screen (the first page's columns are filled, the rest balanced on the next)
  const multicol = (el) => getComputedStyle(el).columnCount !== 'auto';
  const blocks = (root) => {
    const cols = [...root.querySelectorAll('dl, div, ul, ol, section')].filter(multicol);
    const els = [...root.querySelectorAll(ATOMS), ...cols].filter((el) => {
      for (let a = el.parentElement; a && a !== root; a = a.parentElement) if (a.matches(ATOMS) || cols.includes(a)) return false;
      return el.getClientRects().length > 0;
    }).sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    const out = [];
    for (let i = 0; i < els.length; i++) {
      const el = els[i];
      let r = el.getBoundingClientRect(), bottom = r.bottom;
      if (el.tagName === 'TR') {  // the rows a cell spans stay together (Chromium does not split them)
        const k = Math.max(1, ...[...el.cells].map((c) => c.rowSpan || 1));
        for (let n = 1; n < k && i + 1 < els.length && els[i + 1].parentElement === el.parentElement; n++) {
          i++;
          bottom = els[i].getBoundingClientRect().bottom;
        }
      }
      const first = cols.includes(el) ? el.querySelector('.gl-entry, dt, li, p') : null;  // a column block's first entry
      out.push({el, top: r.top, bottom, cols: cols.includes(el), head: first ? first.getBoundingClientRect().bottom : r.bottom,
                keep: KEEP.test(el.tagName) || el.classList.contains('glossary-intro') ||
                      (el.tagName === 'TR' && el.parentElement.tagName === 'THEAD')});  // a header row goes with the first rows (briefing.css)
    }
    return out;
  };
  // Chromium cuts a page a little before the height this estimate gives it (a table's repeated
  // header, borders): a page is counted SAFE shorter, or a section predicted to start in the last
  // lines of a page is set on a new one while the row before it went over too, leaving a page with
  // one row (Yunnan's English annex) or one glossary entry (the national one)
  const SAFE = 4 * mm;
  const paginate = (root) => {
    const PAGE = PAGE_FULL - SAFE;
    const list = blocks(root);
    const top0 = root.getBoundingClientRect().top;
    let start = top0, pages = 1, bottom = top0;
    const starts = new Set(), near = new Set();
    list.forEach((b, i) => {
      if (PAGE - (b.top - start) < 12 * mm) near.add(b.el);
      const forced = i > 0 && getComputedStyle(b.el).breakBefore === 'page';
      if (!forced && b.cols && b.head - start <= PAGE + 0.5) {
        while (b.bottom - start > PAGE + 0.5) { start = Math.max(start + PAGE, b.top); pages++; }
      } else if (forced || b.bottom - start > PAGE + 0.5) {
        let s0 = b.top, j = i - 1;
        while (!forced && j >= 0 && list[j].keep && list[j].top > start) { s0 = list[j].top; j--; }
        const table = b.el.closest('table'), head = table && table.tHead;
        const repeat = head && !head.contains(b.el) && head.getBoundingClientRect().top < s0 ? head.getBoundingClientRect().height : 0;
        start = s0 - repeat;
        pages++;
        starts.add(j + 1 < i ? list[j + 1].el : b.el);
      }
      bottom = Math.max(bottom, b.bottom);
    });
    return {pages, fill: Math.max(0, Math.min(1, (bottom - start) / PAGE)), starts, near};
  };
  for (const part of document.querySelectorAll('.nrmc-part.nrmc-annex')) {
    const before = paginate(part);
    let after = before, action = 'none';
    if (before.pages > 1 && before.fill < LAST_MIN) {
      // 1. set tighter, which pulls the last page back (or fills it with what the pages before shed);
      // 2. else the latest heading whose section, started on a page of its own, fills the last page
      //    (normal type first, then tighter)
      const tries = [[true, null], ...[false, true].flatMap((tight) => [...part.querySelectorAll('h2, h3')].reverse().map((h) => [tight, h]))];
      for (const [tight, head] of tries) {
        part.classList.toggle('tight', tight);
        const base = head ? paginate(part) : null;
        if (head) head.style.breakBefore = 'page';
        const t = paginate(part);
        if (t.fill >= LAST_MIN && t.pages <= (base ? base.pages : before.pages)) {
          after = t; action = (tight ? 'tight' : '') + (head ? (tight ? '+break' : 'break') : '');
          break;
        }
        if (head) head.style.breakBefore = '';
      }
      if (action === 'none') part.classList.remove('tight');
    }
    // a section of the annex whose heading falls at the top of a page (or in the last lines of the
    // one before) starts on a page of its own: a heading Chromium breaks before by itself is
    // tagged on both pages and its outline entry reads twice ('AnnexAnnex')
    // The same for any heading the printer would move to the next page with what follows it.
    const fin = paginate(part);
    for (const sec of [...part.querySelectorAll(':scope > section.page.annex')].slice(1)) {
      const h = sec.querySelector('h2, h3');
      if (h && (fin.starts.has(h) || fin.near.has(h))) sec.style.breakBefore = 'page';
    }
    for (const h of part.querySelectorAll('h2, h3, h4')) {
      if (fin.starts.has(h) && h.closest('section').style.breakBefore !== 'page') h.style.breakBefore = 'page';
    }
    report.push({kind: 'annex', pages: after.pages, fill: after.fill, before: {pages: before.pages, fill: before.fill}, action});
  }
  return report;
}"""

LABELS = {
    "zh": {"scope": "范围", "as_of": "数据时间", "built": "生成日期", "contents": "目录", "population": "人口",
           "kicker": "国家区域医疗中心简报", "page": "第 {n} 页，共 {t} 页", "home": "全部简报",
           "other_lang": "English", "pop_text": "{y}年末常住人口"},
    "en": {"scope": "Scope", "as_of": "Data", "built": "Compiled", "contents": "Contents", "population": "Population",
           "kicker": "National Regional Medical Centres briefing", "page": "Page {n} of {t}", "home": "All briefings",
           "other_lang": "中文", "pop_text": "year-end {y}"},
}
INLINE_STYLE = re.compile(r"<style data-nrmc-inline>.*?</style>", re.S)


# ---------------------------------------------------------------------------------------------
# Header data: parameters, builder info, notebook metadata, run-time meta outputs
# ---------------------------------------------------------------------------------------------

def _clean(value: Any, limit: int = 300) -> str | None:
    """A metadata value as short plain text (never markup: the template escapes it)."""
    if value is None or isinstance(value, (dict, list, tuple, set)):
        return None
    text = str(value).strip()
    if not text:
        return None
    return text[:limit]


def pop_meta_outputs(nb) -> dict:
    """Remove `application/vnd.nrmc.meta+json` outputs from `nb` (in place); return them merged.

    A notebook can set header fields at run time with
    `IPython.display.display({"application/vnd.nrmc.meta+json": {"as_of": "2025-11-30"}}, raw=True)`.
    """
    merged: dict = {}
    for cell in nb.get("cells", []):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        keep = []
        for out in outputs:
            data = out.get("data") or {}
            if META_MIMETYPE in data:
                value = data[META_MIMETYPE]
                if isinstance(value, dict):
                    merged.update(value)
                rest = {k: v for k, v in data.items() if k not in (META_MIMETYPE, "text/plain")}
                if not rest:
                    continue
                out["data"] = rest
            keep.append(out)
        cell["outputs"] = keep
    return merged


def briefing_header(nb, runtime_meta: dict | None = None) -> dict:
    """Header fields for the template, read defensively from the executed notebook.

    Precedence (later wins): papermill parameters < builder info (`metadata.nrmc_build`) <
    notebook metadata `nrmc` < run-time meta outputs.
    """
    md = nb.get("metadata", {}) or {}
    params = dict((md.get("papermill") or {}).get("parameters") or {})
    build = md.get("nrmc_build") or {}
    scope = build.get("scope") or {}
    author = md.get("nrmc") if isinstance(md.get("nrmc"), dict) else {}
    fields: dict[str, Any] = {}
    for source in (params, build, author, runtime_meta or {}):
        if "scope" in source and "scope_name" not in source and not isinstance(source.get("scope"), dict):
            source = {**source, "scope_name": source["scope"]}
        for key in ("title", "subtitle", "as_of", "lang", "scope_name", "footer", "kicker", "built", "slug", "pop_year"):
            v = _clean(source.get(key))
            if v is not None:
                fields[key] = v
    lang = fields.get("lang", "zh")
    lang = lang if lang in LABELS else "zh"
    labels = LABELS[lang]
    if "scope_name" not in fields and scope:
        zh, en = _clean(scope.get("name_zh")), _clean(scope.get("name_en"))
        if lang == "en":
            fields["scope_name"] = en or zh or ""
        else:
            fields["scope_name"] = " · ".join(x for x in (zh, en) if x)
    if "title" not in fields:
        zh, en = _clean(scope.get("name_zh")), _clean(scope.get("name_en"))
        national = scope.get("kind") == "national"
        if lang == "en":
            name = en or "China"
            fields["title"] = ("National Regional Medical Centres: national overview" if national
                               else f"{name}: National Regional Medical Centres briefing")
        elif national:
            fields["title"] = "全国国家区域医疗中心建设概览"
        elif zh:
            fields["title"] = f"{zh}国家区域医疗中心简报"
        else:
            fields["title"] = _clean(md.get("title")) or labels["kicker"]
    fields.setdefault("kicker", labels["kicker"])
    fields.setdefault("built", datetime.now().strftime("%Y-%m-%d"))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(fields["built"])):  # printed as the briefing prints its dates
        fields["built"] = i18n.date_short(fields["built"], lang)
    fields.setdefault("footer", (f"由 nrmc {__version__} 生成。每个数字都注明日期和来源，来源列表见附录。" if lang == "zh"
                                 else f"Made with nrmc {__version__}. Every figure carries its date and source; the sources are listed in the annex."))
    fields["lang"] = lang
    fields["html_lang"] = "en" if lang == "en" else "zh-CN"
    # Links of the report's layout: zh at reports/<slug>.html, en at reports/en/<slug>.html, each
    # language's front page at index.html beside its briefings.
    slug = fields.get("slug") or scope.get("slug")
    if slug:
        fields["home_href"] = "index.html"
        fields["other_lang_href"] = f"en/{slug}.html" if lang == "zh" else f"../{slug}.html"
        fields["other_lang_code"] = "en" if lang == "zh" else "zh-CN"
    if fields.get("pop_year"):
        fields["population_text"] = labels["pop_text"].format(y=fields["pop_year"])
    fields["labels"] = labels
    fields["version"] = __version__
    return fields


# ---------------------------------------------------------------------------------------------
# Contents list
# ---------------------------------------------------------------------------------------------

_HEADING = re.compile(r"<h([23])((?:\s[^>]*)?)>(.*?)</h\1>", re.S | re.I)
_ID = re.compile(r"""\sid\s*=\s*(["'])(.*?)\1""", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")
_ANCHOR = re.compile(r"<a\s[^>]*class=[\"']anchor-link[\"'][^>]*>.*?</a>", re.S | re.I)
CONTENTS_MARK = "<!--NRMC-CONTENTS-->"


def add_contents(page: str, title: str = "Contents") -> str:
    """Give every h2/h3 of <main> an id and put a linked contents list at CONTENTS_MARK."""
    at = page.find(CONTENTS_MARK)
    if at < 0:
        return page
    head, body = page[:at], page[at + len(CONTENTS_MARK):]
    entries: list[tuple[int, str, str]] = []
    used: set[str] = set()

    def fix(m: re.Match) -> str:
        level, attrs, inner = int(m.group(1)), m.group(2) or "", m.group(3)
        if "no-toc" in attrs:
            return m.group(0)
        text = " ".join(_html.unescape(_TAGS.sub("", _ANCHOR.sub("", inner))).split())
        if not text:
            return m.group(0)
        idm = _ID.search(attrs)
        if idm:
            hid = _html.unescape(idm.group(2))
        else:
            hid = f"sec-{len(entries) + 1}"
            attrs = f' id="{hid}"' + attrs
        while hid in used:
            hid += "-"
            attrs = _ID.sub(f' id="{_html.escape(hid)}"', attrs, count=1)
        used.add(hid)
        entries.append((level, hid, text))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    body = _HEADING.sub(fix, body)
    if len(entries) < 2:
        return head + body
    parts = [f'<nav class="contents" aria-label="{_html.escape(title)}"><h2 class="no-toc">{_html.escape(title)}</h2><ol>']
    open_sub = False
    for level, hid, text in entries:
        link = f'<a href="#{_html.escape(hid)}">{_html.escape(text)}</a>'
        if level == 3:
            if not open_sub:
                if parts[-1].endswith("</li>"):
                    parts[-1] = parts[-1][: -len("</li>")]
                else:  # an h3 before any h2
                    parts.append("<li>")
                parts.append("<ol>")
                open_sub = True
            parts.append(f"<li>{link}</li>")
        else:
            if open_sub:
                parts.append("</ol></li>")
                open_sub = False
            parts.append(f"<li>{link}</li>")
    if open_sub:
        parts.append("</ol></li>")
    parts.append("</ol></nav>")
    return head + "".join(parts) + body


# ---------------------------------------------------------------------------------------------
# Exporters
# ---------------------------------------------------------------------------------------------

_IMG_NO_ALT = re.compile(r"(<img\b(?![^>]*(?<![\w-])alt\b)[^>]*?)(\s*/?>)", re.I)
_NOTEBOOK = re.compile(r"""<[a-z][^>]*\sclass\s*=\s*["'](?:[^"']*\s)?jp-Notebook[\s"']""", re.I)
_FOCUSABLE = re.compile(r"""<div\b(?=[^>]*\sclass\s*=\s*["'](?:[^"']*\s)?jp-(?:Cell-inputWrapper|OutputArea-output)[\s"'])"""
                        r"""[^>]*>""", re.I)
_TABINDEX = re.compile(r"""((?<![\w-])tabindex\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""", re.I)


def _focusable(m: re.Match) -> str:
    tag = m.group(0)
    if _TABINDEX.search(tag):
        return _TABINDEX.sub(r'\1"0"', tag, count=1)
    end = len(tag) - 1
    while end > 0 and tag[end - 1].isspace():
        end -= 1
    return tag[:end] + ' tabindex="0"' + tag[end:]


_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_SELF_CLOSED = re.compile(r"<([A-Za-z][^\s/>]*)((?:\s[^<>]*?)?)\s*/>")
_RAW_TEXT = re.compile(r"(<(script|style|textarea|title)\b[^>]*>.*?</\2\s*>)", re.S | re.I)


def _close(m: re.Match) -> str:
    tag = m.group(1)
    return m.group(0) if tag.lower() in _VOID else f"<{tag}{m.group(2)}></{tag}>"


def accessibility_edits(page: str) -> str:
    """What nbconvert's HTMLExporter does to a page after rendering it (with BeautifulSoup), made
    on the text: a tag written self-closed that HTML does not close (`<a … />` from a Markdown
    heading's anchor) gets its end tag, as BeautifulSoup's parser gives it (a browser would leave
    it open over the rest of the page); an alt text on every <img> without one; tabindex="0" on
    each cell's input and output inside a .jp-Notebook (none in a briefing, whose template has its
    own body), so that a keyboard reaches them. Attributes go last, where BeautifulSoup puts them."""
    parts = _RAW_TEXT.split(page)
    # split() with two groups yields [text, raw, tagname, text, raw, tagname, …]: edit the text only
    for i in range(0, len(parts), 3):
        parts[i] = _SELF_CLOSED.sub(_close, parts[i])
    page = "".join(p for k, p in enumerate(parts) if k % 3 != 2)
    page = _IMG_NO_ALT.sub(r'\1 alt="No description has been provided for this image"\2', page)
    m = _NOTEBOOK.search(page)
    if m:
        page = page[:m.end()] + _FOCUSABLE.sub(_focusable, page[m.end():])
    return page


class BriefingHTMLExporter(HTMLExporter):
    """A briefing as one self-contained HTML file (`jupyter nbconvert --to nrmc_html`)."""

    export_from_notebook = "NRMC briefing (HTML)"

    @default("template_name")
    def _template_name_default(self):
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(TEMPLATE_ROOT)]

    @default("exclude_input")
    def _exclude_input_default(self):
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True

    @default("embed_images")
    def _embed_images_default(self):
        return True

    @default("anchor_link_text")
    def _anchor_link_text_default(self):
        return ""

    @default("exclude_output_stdin")
    def _exclude_output_stdin_default(self):
        return True

    @property
    def default_config(self):
        from traitlets.config import Config

        c = Config(super().default_config)
        c.merge(Config({
            "TagRemovePreprocessor": {
                "enabled": True,
                "remove_cell_tags": ["remove-cell", "remove_cell", "hide"],
                "remove_all_outputs_tags": ["remove-output", "remove_output", "hide-output"],
                "remove_input_tags": ["remove-input", "remove_input"],
            },
        }))
        return c

    _css_cache: str | None = None

    def _css(self) -> str:
        if BriefingHTMLExporter._css_cache is None:
            BriefingHTMLExporter._css_cache = (
                TEMPLATE_ROOT / TEMPLATE_NAME / "static" / "briefing.css").read_text(encoding="utf-8")
        return BriefingHTMLExporter._css_cache

    def from_notebook_node(self, nb, resources=None, **kw):
        import copy

        nb = copy.deepcopy(nb)
        runtime = pop_meta_outputs(nb)
        # Never render error outputs or the cells that produced them only to fail.
        for cell in nb.get("cells", []):
            if cell.get("outputs"):
                cell["outputs"] = [o for o in cell["outputs"] if o.get("output_type") != "error"
                                   and not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
                # Each briefing part carries the stylesheet for Jupyter; the report's <head> has it once.
                for o in cell["outputs"]:
                    data = o.get("data") or {}
                    if isinstance(data.get("text/html"), (str, list)):
                        text = "".join(data["text/html"]) if isinstance(data["text/html"], list) else data["text/html"]
                        data["text/html"] = INLINE_STYLE.sub("", text)
        if _has_blocks(nb):  # a notebook of sections: print what it shows, section by section
            from nrmc.assemble import assembled

            nb = assembled(nb)
        header = briefing_header(nb, runtime)
        resources = dict(resources or {})
        resources["nrmc"] = header
        resources["nrmc_meta"] = runtime  # everything the briefing emitted, for the build's state
        resources["nrmc_css"] = self._css()
        page, resources = self._render(nb, resources, **kw)
        page = add_contents(page, header["labels"]["contents"])
        return page, resources

    def _render(self, nb, resources, **kw):
        """HTMLExporter.from_notebook_node without its BeautifulSoup pass (a parse and
        re-serialisation of the whole page, 0.3 s per briefing): the same edits are made on the
        text (`accessibility_edits`), which gives the same document (tests/test_export.py compares
        the two with nbconvert's own output)."""
        from nbconvert.exporters.html import Highlight2HTML, WidgetsDataTypeFilter
        from nbconvert.exporters.templateexporter import TemplateExporter

        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return accessibility_edits(html), resources


def _has_blocks(nb) -> bool:
    from nrmc.sections.base import BLOCK_MIME

    return any(BLOCK_MIME in (o.get("data") or {}) for c in nb.get("cells", []) for o in (c.get("outputs") or []))


class BriefingPDFExporter(BriefingHTMLExporter):
    """A briefing printed to A4 PDF by the system Chromium (`jupyter nbconvert --to nrmc_pdf`).

    Launches one browser per call; `nrmc build` shares one browser through `PdfPrinter` instead.
    """

    export_from_notebook = "NRMC briefing (PDF)"
    output_mimetype = "application/pdf"

    chromium = Unicode("", help="Path of the Chromium executable (default: $NRMC_CHROMIUM or /usr/bin/chromium)").tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self):
        return ".html.j2"

    def from_notebook_node(self, nb, resources=None, **kw):
        page, resources = super().from_notebook_node(nb, resources, **kw)
        header = resources.get("nrmc", {})
        pdf = html_to_pdf(page, footer_title=header.get("title", ""), lang=header.get("lang", "zh"),
                          executable=self.chromium or None)
        resources["output_extension"] = ".pdf"
        return pdf, resources


# ---------------------------------------------------------------------------------------------
# Browser
# ---------------------------------------------------------------------------------------------

_fonts_checked = False
log = logging.getLogger(__name__)


def check_cjk_fonts() -> None:
    """Raise BrowserUnavailable unless fontconfig knows a Chinese font (else PDFs show boxes).

    The lookup is `nrmc.fonts.check_cjk_fonts()`; this only remembers a success for the process.
    """
    global _fonts_checked
    if _fonts_checked:
        return
    try:
        fonts.check_cjk_fonts()
    except fonts.MissingCJKFontError as err:
        raise BrowserUnavailable(str(err)) from err
    _fonts_checked = True


def footer_template(title: str = "", lang: str = "zh") -> str:
    page = LABELS.get(lang, LABELS["zh"])["page"].format(
        n='<span class="pageNumber"></span>', t='<span class="totalPages"></span>')
    # English in the Latin font of the briefing (nrmc.fonts.LATIN_FAMILY), Chinese in the CJK font
    family = "'Noto Sans','Noto Sans CJK SC','Noto Sans SC',sans-serif" if lang == "en" else "'Noto Sans CJK SC','Noto Sans SC',sans-serif"
    return (
        '<div style="width:100%;margin:0 15mm;display:flex;justify-content:space-between;'
        f"font-family:{family};font-size:7.5pt;color:#5b6472;\">"
        f"<span>{_html.escape(title)}</span><span>{page}</span></div>"
    )


class PdfPrinter:
    """One Chromium for many PDFs: `async with PdfPrinter(pages=2) as p: pdf = await p.pdf(html)`.

    The PDFs are tagged, carry an outline (bookmarks) from h1–h3, the <title> and the <html lang>,
    and embed the CJK text in the TrueType print font of `nrmc.fonts` (`font_text`: characters the
    font must have besides GB 2312; default: those of the data and of the package). When that font
    is not cached yet, it is converted in the background while the browser starts (and the
    notebooks run); the first `pdf()` waits for it and restarts the browser once with it.
    """

    def __init__(self, pages: int = 2, executable: str | None = None, timeout_ms: int = 120_000,
                 font_text: str | None = None):
        self.pages = max(1, pages)
        self.executable = executable
        self.timeout_ms = timeout_ms
        self.font_text = font_text
        self.print_fonts: fonts.PrintFonts | None = None
        self._fonts_task: asyncio.Future | None = None
        self._warned: set[str] = set()
        self._pw = None
        self._browser = None
        self._context = None
        self._pages: asyncio.Queue | None = None
        self._lock: asyncio.Lock | None = None
        self._uses: dict[int, int] = {}

    async def __aenter__(self) -> "PdfPrinter":
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def start(self) -> None:
        exe = find_chromium(self.executable)
        check_cjk_fonts()
        self._exe = exe
        self._lock = asyncio.Lock()
        self._pages = asyncio.Queue()
        await self._find_print_fonts()
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        try:
            await self._launch(exe)
            for page in await asyncio.gather(*(self._new_page() for _ in range(self.pages))):
                self._pages.put_nowait(page)
        except Exception:
            await self.close()
            raise

    async def _find_print_fonts(self) -> None:
        """Use the cached print fonts, or start converting them in the background."""
        try:
            if not fonts.needs_conversion():
                return
            self.print_fonts = await asyncio.to_thread(fonts.cached_print_fonts, self.font_text)
        except Exception as err:  # noqa: BLE001 - printing in the system fonts still works
            log.warning("PDFs will use the system CJK font (Type 3): %s", err)
            return
        if self.print_fonts is None:
            self._fonts_task = asyncio.ensure_future(asyncio.to_thread(fonts.ensure_print_fonts, self.font_text))

    async def _await_print_fonts(self) -> None:
        """Once the background conversion is done, restart the browser with the new fonts.

        Every `pdf()` call passes here before it takes a page, so no page is in use meanwhile. The
        task stays set until the browser runs with the new fonts: a second `pdf()` that arrives
        while the first waits for the conversion waits too (on the lock), instead of printing on
        the old browser in the system font (the first briefings of a fresh machine's build were
        Type 3 that way)."""
        async with self._lock:
            task = self._fonts_task
            if task is None:
                return
            try:
                print_fonts = await task
            except Exception as err:  # noqa: BLE001
                log.warning("PDFs will use the system CJK font (Type 3): converting it failed: %s", err)
                print_fonts = None
            if print_fonts is None:
                self._fonts_task = None
                return
            self._fonts_task = None
            self.print_fonts = print_fonts
            idle = [self._pages.get_nowait() for _ in range(self._pages.qsize())]
            for obj in (self._context, self._browser):
                try:
                    await obj.close()
                except Exception:  # noqa: BLE001
                    pass
            await self._launch(self._exe)
            for page in await asyncio.gather(*(self._new_page() for _ in range(len(idle) or self.pages))):
                self._pages.put_nowait(page)

    async def _launch(self, exe: str) -> None:
        env = self.print_fonts.chromium_env() if self.print_fonts is not None else None
        try:
            self._browser = await self._pw.chromium.launch(
                executable_path=exe, args=CHROMIUM_ARGS, headless=True, env=env,
                handle_sigint=False, handle_sigterm=False, handle_sighup=False)
        except Exception as err:
            raise BrowserUnavailable(f"Could not start Chromium at {exe}: {err}. Install it with: {INSTALL_HINT}") from err
        self._context = await self._browser.new_context(
            # No script of the page runs (the briefing has none; one from the data must not run
            # in the printer): Playwright's own evaluate() still measures the layout.
            offline=True, java_script_enabled=False, viewport=PRINT_VIEWPORT)
        # No network at run time: refuse anything that is not a data: URL or a local file.
        await self._context.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())

    async def _ensure_browser(self) -> None:
        async with self._lock:
            if self._browser is None or not self._browser.is_connected():
                await self._launch(self._exe)

    async def _new_page(self):
        page = await self._context.new_page()
        page.set_default_timeout(self.timeout_ms)
        await page.emulate_media(media="print")
        return page

    async def pdf(self, page_html: str, *, footer_title: str = "", lang: str = "zh") -> bytes:
        """Print one HTML document on one of the reused pages (a new page costs a renderer process).

        Chromium's printToPDF now and then fails with "Printing failed" on a busy machine (seen
        with tagged PDFs, on documents that print fine the next time): one retry on a fresh page."""
        try:
            return await self._pdf_once(page_html, footer_title=footer_title, lang=lang)
        except Exception as err:  # noqa: BLE001 - retried once, then raised as it is
            if "Printing failed" not in str(err):
                raise
            log.warning("Chromium could not print (%s); trying again on a fresh page", err)
            return await self._pdf_once(page_html, footer_title=footer_title, lang=lang)

    async def _pdf_once(self, page_html: str, *, footer_title: str = "", lang: str = "zh") -> bytes:
        assert self._pages is not None, "PdfPrinter.start() first"
        if self._fonts_task is not None:
            await self._await_print_fonts()
        page = await self._pages.get()
        ok = False
        try:
            if page is None or page.is_closed():
                await self._ensure_browser()
                page = await self._new_page()
            if self.print_fonts is not None:
                self._warn_missing(page_html)
            await page.set_content(page_html, wait_until="load")
            await page.evaluate("() => document.fonts.ready.then(() => true)")
            layout = await page.evaluate(FIT_PAGES_JS)
            self.last_layout = layout
            data = await page.pdf(
                format="A4", print_background=True, display_header_footer=True,
                header_template="<span></span>", footer_template=footer_template(footer_title, lang),
                margin=PDF_MARGIN, prefer_css_page_size=False,
                # Chromium builds the outline from the structure tree, so it needs tagged=True too;
                # tagging also writes /Lang from <html lang>.
                outline=True, tagged=True)
            ok = True
            self._uses[id(page)] = uses = self._uses.get(id(page), 0) + 1
            if uses >= RECYCLE_PAGE_AFTER:
                # A reused page's renderer grows by about 5 MB per document: a fresh one now and then
                # keeps a build of 64 briefings at the memory of a few.
                self._uses.pop(id(page), None)
                ok = False
            return data
        finally:
            if not ok and page is not None:  # a page in an unknown state (or worn) is not reused
                try:
                    await page.close()
                except Exception:
                    pass
                page = None
            self._pages.put_nowait(page)

    async def measure(self, page_html: str, script: str | None = None) -> tuple[list, Any]:
        """Lay `page_html` out for print as `pdf()` does (FIT_PAGES_JS) without printing it; return
        the layout's report and what `script` (a JavaScript function, run after it) returns. For
        checks of the printed layout (the tests): word breaks, chart text sizes, page fill."""
        if self._fonts_task is not None:
            await self._await_print_fonts()
        page = await self._pages.get()
        try:
            if page is None or page.is_closed():
                await self._ensure_browser()
                page = await self._new_page()
            await page.set_content(page_html, wait_until="load")
            await page.evaluate("() => document.fonts.ready.then(() => true)")
            layout = await page.evaluate(FIT_PAGES_JS)
            return layout, (await page.evaluate(script) if script else None)
        finally:
            self._pages.put_nowait(page)

    def _warn_missing(self, page_html: str) -> None:
        missing = self.print_fonts.missing(page_html)
        if missing and missing not in self._warned:
            self._warned.add(missing)
            log.warning("characters not in the PDF print font print as Type 3 glyphs and may not copy "
                        "right: %s (give them to PdfPrinter(font_text=...), e.g. fonts.project_text(data_dir))",
                        missing)

    async def close(self) -> None:
        for obj, meth in ((self._context, "close"), (self._browser, "close"), (self._pw, "stop")):
            if obj is not None:
                try:
                    await getattr(obj, meth)()
                except Exception:
                    pass
        self._pw = self._browser = self._context = None


def html_to_pdf(page_html: str, *, footer_title: str = "", lang: str = "zh", executable: str | None = None) -> bytes:
    """Print one HTML page to PDF with a browser of its own (for the stand-alone exporter)."""

    async def run() -> bytes:
        async with PdfPrinter(pages=1, executable=executable) as printer:
            return await printer.pdf(page_html, footer_title=footer_title, lang=lang)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run())
    # Called from inside an event loop (e.g. in Jupyter): run in a thread of its own.
    result: dict = {}

    def target():
        try:
            result["pdf"] = asyncio.run(run())
        except BaseException as err:  # noqa: BLE001 - re-raised below
            result["err"] = err

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "err" in result:
        raise result["err"]
    return result["pdf"]
