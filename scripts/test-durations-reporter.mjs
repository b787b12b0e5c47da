// A node:test reporter for scripts/run-tests.mjs: one JSON line per top-level
// test or suite (its file and duration, hooks included) and one per line of
// the runner's closing summary (tests, pass, fail, ..., duration_ms). The spec
// reporter still prints everything else; run-tests summarises this file.
const SUMMARY = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /;

export default async function* durations(source) {
  for await (const event of source) {
    const { data } = event;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && data.nesting === 0) {
      yield `${JSON.stringify({ file: data.file ?? data.name, ms: data.details?.duration_ms ?? 0, failed: event.type === 'test:fail' })}\n`;
    } else if (event.type === 'test:diagnostic' && data.file === undefined && SUMMARY.test(data.message)) {
      yield `${JSON.stringify({ summary: data.message })}\n`;
    }
  }
}
