package web

// pageHTML is the whole status page: one self-contained response, no
// script, no asset from elsewhere. It refreshes itself every 30 s and lays
// jobs out as cards that wrap, so a 400 px screen never scrolls sideways.
const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>ecs-cron-monitor status</title>
<style>
:root { --bg:#f6f7f9; --card:#fff; --fg:#1d1f23; --muted:#5f6670; --line:#dde1e6;
        --ok:#1f8f5f; --bad:#c62a47; --warn:#b7791f; --none:#8a929c; }
@media (prefers-color-scheme: dark) {
  :root { --bg:#111418; --card:#1b1f24; --fg:#e8eaed; --muted:#9aa3ad; --line:#2c323a;
          --ok:#3fbf86; --bad:#ff5d7a; --warn:#e0a43a; --none:#6b7480; }
}
* { box-sizing:border-box; }
body { margin:0; padding:1rem; background:var(--bg); color:var(--fg);
       font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; overflow-wrap:anywhere; }
header h1 { font-size:1.3rem; margin:0; }
header p, .muted { color:var(--muted); margin:.2rem 0; font-size:.9rem; }
section.cluster { margin-top:1.5rem; }
section.cluster > h2 { font-size:1.15rem; margin:0 0 .3rem; display:flex; flex-wrap:wrap; gap:.5rem; align-items:baseline; }
.tasks { font-weight:600; }
.tasks.warn { color:var(--warn); } .tasks.bad { color:var(--bad); }
.meter { height:.45rem; background:var(--line); border-radius:.3rem; overflow:hidden; max-width:24rem; }
.meter span { display:block; height:100%; background:var(--ok); }
.meter.warn span { background:var(--warn); } .meter.bad span { background:var(--bad); }
.jobs { display:grid; gap:.8rem; grid-template-columns:repeat(auto-fill, minmax(min(100%, 23rem), 1fr)); margin-top:.8rem; }
article.job { background:var(--card); border:1px solid var(--line); border-left:.35rem solid var(--none); border-radius:.5rem; padding:.7rem .9rem; min-width:0; }
article.job.success { border-left-color:var(--ok); } article.job.failure { border-left-color:var(--bad); }
article.job h3 { margin:0 0 .4rem; font-size:1.05rem; display:flex; flex-wrap:wrap; gap:.4rem; align-items:center; }
.badge { font-size:.75rem; font-weight:700; text-transform:uppercase; letter-spacing:.03em; padding:.05rem .45rem; border-radius:1rem; color:#fff; background:var(--none); }
.badge.success { background:var(--ok); } .badge.failure { background:var(--bad); } .badge.incident { background:var(--warn); }
dl { display:grid; grid-template-columns:max-content 1fr; gap:.15rem .7rem; margin:0; font-size:.92rem; }
dt { color:var(--muted); } dd { margin:0; min-width:0; }
code { font-size:.85rem; }
a { color:inherit; }
svg.chart { display:block; width:100%; height:3rem; margin-top:.5rem; }
svg.chart rect.success { fill:var(--ok); } svg.chart rect.failure { fill:var(--bad); }
ul.incidents { margin:.5rem 0 0; padding-left:1.1rem; color:var(--warn); font-size:.9rem; }
</style>
</head>
<body>
<header>
<h1>ecs-cron-monitor</h1>
<p>Updated {{when .Now .Now}} · refreshes every 30 s</p>
</header>
{{- $now := .Now}}
{{- range .Clusters}}
{{- $pct := percent .Tasks .Limit}}
<section class="cluster" id="cluster-{{.Name}}">
<h2>{{.Name}} {{with .Account}}<span class="muted account">{{.}}</span> {{end}}{{with .Region}}<span class="muted">{{.}}</span>{{end}}</h2>
<p class="tasks{{if ge $pct 95}} bad{{else if ge $pct 80}} warn{{end}}">{{.Tasks}} of {{.Limit}} tasks ({{$pct}}%)</p>
<div class="meter{{if ge $pct 95}} bad{{else if ge $pct 80}} warn{{end}}"><span style="width: {{$pct}}%"></span></div>
{{- range .Quotas}}
<p class="tasks quota{{with .Level}} {{.}}{{end}}" data-class="{{.Class}}">Fargate vCPU: {{vcpu .Used}} of {{vcpu .Limit}} {{class .Class}} ({{share .Used .Limit}}%)</p>
{{- end}}
{{- with .Incidents}}
<ul class="incidents">{{range .}}<li><strong>{{.Kind}}</strong> ({{.Severity}}) since {{when .Since $now}}: {{.Message}}</li>{{end}}</ul>
{{- end}}
<div class="jobs">
{{- range .Jobs}}
<article class="job {{result .}}" data-job="{{.Name}}" data-result="{{result .}}">
<h3><span class="name">{{.Name}}</span> <span class="badge {{result .}}">{{if .LastRun}}{{.LastRun.Result}}{{else}}no run yet{{end}}</span>{{if .Incidents}} <span class="badge incident">{{len .Incidents}} open</span>{{end}}</h3>
<dl>
<dt>Schedule</dt><dd>{{if .Schedule}}<code>{{.Schedule}}</code>{{with .ScheduleWords}}<br>{{.}}{{end}}{{else}}<span class="muted">none known</span>{{end}}</dd>
<dt>Last run</dt><dd>{{with .LastRun}}{{when .StoppedAt $now}} · {{duration .Duration}}{{if eq .Result "failure"}} · {{words .Cause}}{{if .ExitCode}} {{.ExitCode}}{{end}}{{end}}<br><a href="{{.TaskURL}}">task</a>{{with .LogURL}} · <a href="{{.}}">logs</a>{{end}}{{else}}<span class="muted">none seen</span>{{end}}{{if .Running}}<br><strong>{{.Running}} running now</strong>{{end}}</dd>
<dt>Last success</dt><dd>{{when .LastSuccess $now}}</dd>
<dt>Next expected</dt><dd>{{if .NextExpected.IsZero}}<span class="muted">unknown</span>{{else}}{{when .NextExpected $now}}{{end}}</dd>
<dt>Runs</dt><dd>{{.Runs}} kept, {{.Failures}} failed{{if .Runs}} · p50 {{duration .P50}} · p95 {{duration .P95}}{{end}}</dd>
</dl>
{{- with .Recent}}{{with chart .}}
<svg class="chart" viewBox="0 0 {{.Width}} {{.Height}}" preserveAspectRatio="none" role="img" aria-label="{{.Label}}">
{{- range .Bars}}<rect class="{{.Result}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Title}}</title></rect>{{end}}
</svg>
{{- end}}{{end}}
{{- with .Incidents}}
<ul class="incidents">{{range .}}<li><strong>{{.Kind}}</strong> since {{when .Since $now}}: {{.Message}}</li>{{end}}</ul>
{{- end}}
</article>
{{- end}}
</div>
</section>
{{- else}}
<p class="muted">No cluster configured.</p>
{{- end}}
</body>
</html>
`
