"""The page's look and its one small script, as constants (no files to package, nothing fetched).

The theme uses only fonts Gradio ships in its own static folder or the system's: Gradio themes
can pull fonts from Google, and this page must not reach outside its server.
"""

from __future__ import annotations

HEADER_HTML = """
<div class="nr-header">
  <div class="nr-brand">news<span>rag</span></div>
  <div class="nr-tagline">Answers from your news articles. Every claim cites the passage it came from.</div>
</div>
"""

CSS = """
/* Lora, the serif of titles and passages, from Gradio's own static folder (Regular only: its
   SemiBold file is the same font) */
@font-face { font-family: 'Lora'; src: url('static/fonts/Lora/Lora-Regular.woff2') format('woff2'); font-weight: 400; font-style: normal; }
.gradio-container { max-width: 1480px !important; margin: 0 auto !important; }
.nr-header { display: flex; align-items: baseline; gap: 18px; padding: 6px 4px 2px; flex-wrap: wrap; }
.nr-brand { font-family: Lora, Georgia, serif; font-size: 30px; font-weight: 600; letter-spacing: -0.5px; color: var(--body-text-color); }
.nr-brand span { color: #b4232c; }
.nr-tagline { color: var(--body-text-color-subdued); font-size: 15px; }

/* chat */
#nr-chat .nr-question { white-space: normal; }
.nr-answer { line-height: 1.6; }
.nr-answer .nr-text { margin-top: 6px; }
.nr-badge { display: inline-block; font-size: 11.5px; font-weight: 600; letter-spacing: 0.3px; text-transform: uppercase;
  padding: 2px 8px; border-radius: 999px; }
.nr-badge-ok { background: #e3f4e8; color: #17653a; }
.nr-badge-abstain { background: #fff3dc; color: #8a5300; border: 1px dashed #d99a2b; }
.nr-badge-error { background: #fde8e8; color: #9b1c1c; }
.nr-abstained .nr-text { font-style: italic; color: var(--body-text-color-subdued); border-left: 3px solid #d99a2b; padding-left: 10px; }
.nr-error .nr-text { color: #9b1c1c; }
.nr-note { margin-top: 6px; font-size: 12.5px; color: var(--body-text-color-subdued); }
.nr-status { font-size: 13px; color: var(--body-text-color-subdued); }
.nr-status::before { content: ""; display: inline-block; width: 8px; height: 8px; margin-right: 7px; border-radius: 50%;
  background: #b4232c; animation: nr-pulse 1s ease-in-out infinite; }
.nr-caret { display: inline-block; width: 7px; height: 1em; margin-left: 2px; vertical-align: text-bottom; background: currentColor;
  opacity: 0.5; animation: nr-pulse 0.9s steps(2) infinite; }
@keyframes nr-pulse { 50% { opacity: 0.15; } }
.nr-cites { white-space: nowrap; }
a.nr-cite { display: inline-block; padding: 0 3px; margin: 0 0 0 1px; border-radius: 6px; text-align: center;
  font-size: 0.78em; font-weight: 700; line-height: 1.5; vertical-align: 0.1em; text-decoration: none !important;
  background: #e8ecfb; color: #2f43a7 !important; cursor: pointer; }
a.nr-cite:hover { background: #2f43a7; color: #fff !important; }

/* sources */
#nr-sources { max-height: 76vh; overflow-y: auto !important; padding-right: 4px; scroll-behavior: smooth; }
.nr-empty { border: 1px dashed var(--border-color-primary); border-radius: 12px; padding: 18px; color: var(--body-text-color-subdued); line-height: 1.55; }
.nr-empty-title { font-family: Lora, Georgia, serif; font-size: 18px; font-weight: 600; color: var(--body-text-color); margin-bottom: 6px; }
.nr-cite-sample { padding: 0 5px; border-radius: 6px; background: #e8ecfb; color: #2f43a7; font-weight: 700; font-size: 0.85em; }
.nr-turn-q { font-size: 13px; font-weight: 600; color: var(--body-text-color-subdued); margin: 2px 0 8px; }
.nr-tl-head { font-weight: 600; margin: 4px 0 10px; }
.nr-tl-label { margin: 14px 0 6px; font-size: 14px; color: #2f43a7; border-bottom: 1px solid var(--border-color-primary); }
.nr-tl-entry { border-left: 3px solid #c7cff5; padding: 4px 0 6px 12px; margin: 0 0 10px 4px; }
.nr-none { color: var(--body-text-color-subdued); font-style: italic; margin-bottom: 12px; }
.nr-source { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 12px 14px; margin-bottom: 12px;
  background: var(--background-fill-primary); scroll-margin-top: 8px; transition: box-shadow 0.3s; }
.nr-source.nr-flash { animation: nr-flash 1.8s ease; }
@keyframes nr-flash { 0%, 40% { box-shadow: 0 0 0 3px #2f43a7; } 100% { box-shadow: 0 0 0 0 transparent; } }
.nr-source-head { display: flex; gap: 10px; align-items: flex-start; }
.nr-num { flex: none; width: 24px; height: 24px; border-radius: 50%; background: #2f43a7; color: #fff; font-weight: 700;
  font-size: 13px; display: flex; align-items: center; justify-content: center; margin-top: 2px; }
.nr-title { font-family: Lora, Georgia, serif; font-weight: 600; font-size: 15.5px; line-height: 1.35; }
.nr-meta { font-size: 12.5px; color: var(--body-text-color-subdued); margin-top: 2px; }
.nr-meta .nr-docid { opacity: 0.75; }
.nr-meta .nr-flag { color: #b45309; font-weight: 600; }
.nr-claims { margin-top: 8px; font-size: 0.95em; }
.nr-claims ul { margin: 4px 0 0 18px; padding: 0; }
.nr-said-by { font-weight: 600; }
.nr-disputed { color: #b45309; font-weight: 600; }
.nr-link { color: #2f43a7 !important; }
.nr-quote { margin: 10px 0 6px !important; padding: 8px 12px !important; border-left: 3px solid #2f43a7 !important;
  background: var(--background-fill-secondary); border-radius: 0 8px 8px 0; font-family: Lora, Georgia, serif; font-size: 14.5px;
  line-height: 1.6; white-space: pre-line; }
mark.nr-hl { background: #ffe58a; color: inherit; padding: 0 1px; border-radius: 2px; }
.dark mark.nr-hl { background: #7a5d00; color: #fff; }
.nr-article summary, .nr-earlier summary { cursor: pointer; font-size: 13px; font-weight: 600; color: #2f43a7; padding: 4px 0; }
.nr-article-text { white-space: pre-line; max-height: 440px; overflow-y: auto; font-family: Lora, Georgia, serif; font-size: 14px;
  line-height: 1.65; padding: 8px 12px; margin-top: 4px; border: 1px solid var(--border-color-primary); border-radius: 8px; }
.nr-in-place { background: #eef1ff; box-shadow: 0 0 0 2px #c9d2fb; border-radius: 3px; }
.dark .nr-in-place { background: #27305c; box-shadow: 0 0 0 2px #3a4690; }
.nr-earlier { margin-top: 4px; border-top: 1px solid var(--border-color-primary); padding-top: 6px; }

/* collection */
.nr-summary { font-weight: 600; margin-bottom: 8px; }
.nr-table { width: 100%; border-collapse: collapse; font-size: 13.5px; }
.nr-table, .nr-table th, .nr-table td { border: none !important; }
.nr-table th { text-align: left; font-weight: 600; border-bottom: 2px solid var(--border-color-primary) !important; padding: 6px 8px; }
.nr-table td { border-bottom: 1px solid var(--border-color-primary) !important; padding: 6px 8px; vertical-align: top; }
.nr-table td:nth-child(4) { white-space: nowrap; }
.nr-table .nr-right { text-align: right; }
.nr-table .nr-docid { font-family: var(--font-mono); font-size: 12.5px; word-break: break-all; }
#nr-documents { max-height: 70vh; overflow-y: auto !important; }
.nr-report { border-radius: 10px; padding: 10px 14px; }
.nr-report ul { margin: 6px 0 0 18px; font-size: 13px; }
.nr-report-ok { background: #e3f4e8; color: #17653a; }
.nr-report-warn { background: #fff3dc; color: #8a5300; }
.nr-report-error { background: #fde8e8; color: #9b1c1c; }
.nr-report-head { font-weight: 600; }
"""

# Runs once when the page loads: a click on a [n] marker opens and scrolls to its source card;
# opening an article scrolls it to the cited passage. Our code only; it reads ids, never text.
PAGE_JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.nr-cite') : null;
    if (!link) return;
    const target = document.getElementById((link.getAttribute('href') || '').slice(1));
    event.preventDefault();
    event.stopPropagation();
    if (!target) return;
    for (let node = target; node; node = node.parentElement) {
      if (node.tagName === 'DETAILS') node.open = true;
    }
    target.scrollIntoView({behavior: 'smooth', block: 'start'});
    target.classList.remove('nr-flash');
    void target.offsetWidth;
    target.classList.add('nr-flash');
  }, true);
  document.addEventListener('toggle', (event) => {
    const box = event.target;
    if (!box.classList || !box.classList.contains('nr-article') || !box.open) return;
    const place = box.querySelector('.nr-in-place');
    const scroller = box.querySelector('.nr-article-text');
    if (place && scroller) scroller.scrollTop = Math.max(0, place.offsetTop - scroller.offsetTop - 40);
  }, true);
}
"""


def theme():
    """A calm theme on fonts that are served locally (never Google Fonts)."""
    import gradio as gr

    return gr.themes.Default(
        primary_hue="indigo",
        neutral_hue="slate",
        # Gradio's SemiBold files are small subsets (no "A"): declare Regular and Bold only, so
        # weight 600 falls to the full Bold file.
        font=[gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono", weights=(400,)), "ui-monospace", "monospace"],
    )
