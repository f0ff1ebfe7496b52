/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4),
 * for tests: prom-client writes the format but has no parser. Every line must
 * be a `# HELP`, a `# TYPE`, another comment, blank, or a sample
 * `name{label="value",…} value [timestamp]`; anything else throws, naming the
 * line. Label values are unescaped (\\, \", \n); NaN and Inf are read in any case, as
 * Prometheus reads them.
 */

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(["counter", "gauge", "histogram", "summary", "untyped"]);
/** A sample of family `f` may be named f, or f_bucket / f_sum / f_count (histograms, summaries). */
const SUFFIXES = ["_bucket", "_sum", "_count", "_total", ""];

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (!found) {
      found = { name, help: "", type: "untyped", samples: [] };
      families.set(name, found);
    }
    return found;
  };
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new Error(`line ${index + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const [, keyword, name, ...rest] = line.split(" ");
      if (keyword === "HELP" || keyword === "TYPE") {
        if (name === undefined || !NAME.test(name)) fail("bad metric name");
        const target = family(name as string);
        const value = rest.join(" ");
        if (keyword === "HELP") target.help = unescapeHelp(value);
        else if (TYPES.has(value as MetricType)) target.type = value as MetricType;
        else fail("unknown type");
      }
      return;
    }
    const sample = parseSample(line, fail);
    const owner = SUFFIXES.map((suffix) =>
      suffix && sample.name.endsWith(suffix) ? sample.name.slice(0, -suffix.length) : sample.name,
    ).find((name) => families.has(name));
    family(owner ?? sample.name).samples.push(sample);
  });
  return families;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const nameEnd = line.search(/[{ ]/);
  if (nameEnd <= 0) fail("no sample name");
  const name = line.slice(0, nameEnd);
  if (!NAME.test(name)) fail("bad sample name");
  const labels: Record<string, string> = {};
  let at = nameEnd;
  if (line[at] === "{") {
    at += 1;
    while (line[at] !== "}") {
      const equals = line.indexOf("=", at);
      if (equals === -1) fail("label without a value");
      const labelName = line.slice(at, equals);
      if (!LABEL_NAME.test(labelName)) fail("bad label name");
      if (line[equals + 1] !== '"') fail("label value not quoted");
      let value = "";
      let cursor = equals + 2;
      for (;;) {
        const char = line[cursor];
        if (char === undefined) fail("unterminated label value");
        if (char === '"') break;
        if (char === "\\") {
          const escaped = line[cursor + 1];
          if (escaped === "n") value += "\n";
          else if (escaped === "\\" || escaped === '"') value += escaped;
          else fail("bad escape in a label value");
          cursor += 2;
          continue;
        }
        value += char;
        cursor += 1;
      }
      if (labelName in labels) fail("label given twice");
      labels[labelName] = value;
      at = cursor + 1;
      if (line[at] === ",") at += 1;
      else if (line[at] !== "}") fail("expected , or }");
    }
    at += 1;
  }
  if (line[at] !== " ") fail("no space before the value");
  const [valueText, timestamp, ...extra] = line
    .slice(at + 1)
    .trim()
    .split(/ +/);
  if (extra.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) {
    fail("trailing text after the value");
  }
  return { name, labels, value: parseValue(valueText ?? "", fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  // Like Prometheus (Go's ParseFloat): NaN and Inf in any case; prom-client writes "Nan".
  const special = text.toLowerCase();
  if (special === "+inf" || special === "inf") return Number.POSITIVE_INFINITY;
  if (special === "-inf") return Number.NEGATIVE_INFINITY;
  if (special === "nan") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail("bad value");
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_match, escaped: string) => (escaped === "n" ? "\n" : "\\"));
}

/** The sum of a family's samples named `name` whose labels include `where`. */
export function sumOf(
  families: Map<string, MetricFamily>,
  name: string,
  where: Record<string, string> = {},
): number {
  let total = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(where).every(([key, value]) => sample.labels[key] === value)) {
        total += sample.value;
      }
    }
  }
  return total;
}
