// Building the DOM without markup: every value becomes a text node or an attribute value, never HTML.
// Record values come from CRMs (anyone can type "<img src=x onerror=...>" into a company name), so
// nothing in the console parses a string as markup (tests/integration/test_console_routes.py checks it).

const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "indeterminate", "selected"]);

function apply(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: `h("td", {class: "value"}, item.current_value)`. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  apply(el, props);
  append(el, children);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element, the same way. */
export function s(tag, props = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  apply(el, props);
  append(el, children);
  return el;
}

export const $ = (id) => document.getElementById(id);

/** Replaces the element's children (text and nodes only). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export const percent = (x) => (x === null || x === undefined ? "–" : `${Math.round(Number(x) * 100)}%`);
export const number = (x) => (x === null || x === undefined ? "–" : Number(x).toLocaleString("en"));
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}
