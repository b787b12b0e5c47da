// The one function of js-yaml pks uses (the package ships no types).
declare module 'js-yaml' {
  export function load(text: string): unknown;
}
