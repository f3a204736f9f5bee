/** The HTML report's stylesheet (one <style>, allowed by its hash in the report's CSP). */
import { PHASE_NAMES } from '../schema/index.js';
import { PHASE_PALETTE } from './palette.js';

const BADGE_STYLE = PHASE_NAMES.map(
  (p, i) => `.badge.ph${i}{background:${PHASE_PALETTE[p].css};color:${PHASE_PALETTE[p].ink}}`,
).join('\n');

// A backslash at the end of a line continues it: the style has no line break there.
export const STYLE = `
:root{--fg:#212529;--muted:#5c636a;--line:#dee2e6;--bg:#f6f7f9;--card:#fff;--accent:#1864ab}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);\
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 60px}
h1{font-size:22px;margin:0 0 2px}h2{font-size:17px;margin:28px 0 10px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.meta{color:var(--muted);margin:0}
nav.top{margin:10px 0 0;color:var(--muted)}nav.top a{margin-right:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:10px 0}
.stats{display:flex;flex-wrap:wrap;gap:10px 28px;margin:0}
.stats div{min-width:120px}.stats dt{color:var(--muted);font-size:12px}\
.stats dd{margin:0;font-size:18px;font-weight:600}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;white-space:nowrap}
.badges{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0 0}
.phasebar{display:block;width:100%;height:14px;border-radius:3px}
.gate{border-left:5px solid}.gate.pass{border-left-color:#2b8a3e}.gate.fail{border-left-color:#c92a2a}
.gate h3{margin:0 0 6px;font-size:15px}
table{border-collapse:collapse;width:100%}
th,td{padding:3px 8px;text-align:left;border-bottom:1px solid var(--line);vertical-align:baseline}
th{font-weight:600;color:var(--muted);font-size:12px;background:var(--card);position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.skip td{color:#868e96}#ss:not(:checked)~.idx tr.sk{display:none}label[for=ss]{font-size:13px}
tr.model td{background:#eef1f4;font-weight:600}
.idx{max-height:70vh;overflow:auto;padding:0}
.idx table{font-size:13px}.idx td:first-child{color:var(--muted)}
td.name{max-width:360px;overflow-wrap:anywhere}
.tools{float:right;font-size:13px}\
.tools button{font:inherit;margin-left:6px;padding:2px 10px;border:1px solid var(--line);border-radius:5px;\
background:var(--card);cursor:pointer}
details.layer{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:8px 0}
details.layer>summary{cursor:pointer;padding:8px 14px;display:flex;flex-wrap:wrap;gap:4px 14px;align-items:baseline}
details.layer>summary .lname{font-weight:600;overflow-wrap:anywhere}
details.layer>summary .facts{color:var(--muted);font-size:13px}
details.layer[open]>summary{border-bottom:1px solid var(--line)}
.body{padding:10px 14px 14px;content-visibility:auto;contain-intrinsic-size:auto 720px}
.reason{margin:0 0 10px}
.nums{display:grid;grid-template-columns:repeat(auto-fill,minmax(175px,1fr));\
gap:2px 16px;margin:0 0 10px;font-size:13px}
.nums div{display:flex;justify-content:space-between;gap:8px;border-bottom:1px dotted var(--line)}
.nums dt{color:var(--muted)}.nums dd{margin:0;font-variant-numeric:tabular-nums}
.nums .h{grid-column:1/-1;border:0;font-weight:600;margin-top:6px}
.nums .wide{grid-column:1/-1;justify-content:flex-start}.nums .wide dd{font-variant-numeric:normal}
.figs{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;flex:1 1 440px;max-width:560px}figure.wide{max-width:none}
figure svg.plot{width:100%;height:auto;display:block}
figcaption{color:var(--muted);font-size:12px;margin-top:2px}
.up{font-size:12px}
footer{color:var(--muted);font-size:12px;margin-top:40px}
svg.plot{font-family:inherit;background:#fff}
svg.plot .ttl{font-size:13px;font-weight:600;fill:#343a40}
svg.plot .tk{font-size:11px;fill:#495057}
svg.plot .at{font-size:11.5px;fill:#343a40}
svg.plot .ax{fill:none;stroke:#495057;stroke-width:1}
svg.plot .grid{fill:none;stroke:#e9ecef;stroke-width:1}
svg.plot .hist{fill:#a5b8d6;stroke:#5f7fae;stroke-width:.6}
svg.plot .hist.tail{fill:#f3b58f;stroke:#d9480f}
svg.plot .pl{fill:none;stroke:#c2255c;stroke-width:2.2}
svg.plot .xmin{fill:none;stroke:#c2255c;stroke-width:1.2;stroke-dasharray:5 3}
svg.plot .xmin-t{fill:#c2255c}
svg.plot .mp{fill:none;stroke:#5f3dc4;stroke-width:2.2}
svg.plot .edge{fill:none;stroke:#5f3dc4;stroke-width:1.3;stroke-dasharray:5 3}
svg.plot .edge-t{fill:#5f3dc4}
svg.plot .edge2{fill:none;stroke:#9775fa;stroke-width:1;stroke-dasharray:2 3}
svg.plot .tw{fill:#d0bfff;fill-opacity:.55;stroke:none}
svg.plot .rug{fill:none;stroke:#e8590c;stroke-width:1.4}
svg.plot .mk{font-size:11px;font-weight:600}
svg.plot .more{font-size:11px;fill:#e8590c;font-weight:600}
svg.plot .lg text{font-size:11px;fill:#343a40}
svg.plot .lgb{fill:#fff;fill-opacity:.9;stroke:#ced4da}
svg.plot .good{fill:#d3f9d8}svg.plot .vheavy{fill:#ffe3e3}
svg.plot .bandt{font-size:10.5px;fill:#495057}
svg.plot .six{fill:none;stroke:#f59f00;stroke-width:1.5;stroke-dasharray:5 3}
svg.plot .phk{stroke:none}
svg.plot .cut{fill:none;stroke:#fff;stroke-width:2.5}svg.plot .cutt{font-size:11px;fill:#495057;font-weight:600}
.badge.zero{background:#eceff1;color:#9aa0a6}
${BADGE_STYLE}
`;
