/**
 * The depth guard of the YAML path as it was before its scans jumped over runs of characters (one step per
 * character): the reference that test/load/yaml-guard.test.ts compares `yamlDepthGuard` with. Test-only.
 */
import type { EntryCount } from '../../src/load/yaml.js';

export function referenceDepthGuard(text: string, maxDepth: number, hardLimit: number, entries?: EntryCount): number {
  const n = text.length;
  let entryCount = 0;
  const entryCap = entries?.cap ?? Infinity;
  const stack: number[] = [];
  let flow = 0;
  let quote = 0; // 0, 34 ("), 39 (')
  let blockScalarParent = -2; // > -2 while inside a block scalar: lines indented more than it are content
  let firstOver = -1;
  let pos = 0;
  const check = (at: number): boolean => {
    const est = stack.length + flow;
    if (est > maxDepth + 1 && firstOver === -1) firstOver = at;
    return est > hardLimit;
  };
  const isBlank = (c: number): boolean => c === 32 || c === 9;
  while (pos < n) {
    let lineEnd = pos;
    while (lineEnd < n) {
      const c = text.charCodeAt(lineEnd);
      if (c === 10 || c === 13) break;
      lineEnd++;
    }
    const next = lineEnd < n && text.charCodeAt(lineEnd) === 13 && text.charCodeAt(lineEnd + 1) === 10 ? lineEnd + 2 : lineEnd + 1;
    let i = pos;
    while (i < lineEnd && text.charCodeAt(i) === 32) i++;
    const indent = i - pos;
    let j = i;
    while (j < lineEnd && isBlank(text.charCodeAt(j))) j++;
    const blank = j >= lineEnd;
    if (blockScalarParent > -2) {
      if (blank || indent > blockScalarParent) {
        pos = next;
        continue;
      }
      blockScalarParent = -2;
    }
    let atToken = true;
    if (quote === 0 && flow === 0) {
      if (blank || text.charCodeAt(j) === 35 /* # */) {
        pos = next;
        continue;
      }
      const c0 = text.charCodeAt(i);
      if (indent === 0 && c0 === 37 /* % */) {
        pos = next;
        continue;
      }
      const marker = indent === 0 && (text.startsWith('---', i) || text.startsWith('...', i)) && (i + 3 >= lineEnd || isBlank(text.charCodeAt(i + 3)));
      if (marker) {
        stack.length = 0;
        i += 3;
        while (i < lineEnd && isBlank(text.charCodeAt(i))) i++;
        if (i < lineEnd && text.charCodeAt(i) !== 35) {
          stack.push(i - pos);
          if (check(i)) return firstOver;
        }
      } else {
        while (stack.length > 0 && stack[stack.length - 1]! >= indent) stack.pop();
        stack.push(indent);
        if (check(i)) return firstOver;
      }
    }
    for (let k = i; k < lineEnd; k++) {
      const c = text.charCodeAt(k);
      if (quote !== 0) {
        if (quote === 34 && c === 92) k++;
        else if (c === quote) {
          if (quote === 39 && text.charCodeAt(k + 1) === 39) k++;
          else {
            quote = 0;
            atToken = false;
          }
        }
        continue;
      }
      if (isBlank(c)) {
        atToken = true;
        continue;
      }
      if (c === 35 /* # */ && atToken) break;
      if (flow > 0) {
        if (c === 91 || c === 123) {
          flow++;
          atToken = true;
          if (check(k)) return firstOver;
        } else if (c === 93 || c === 125) {
          flow--;
          atToken = false;
        } else if (c === 44 || c === 58) atToken = true;
        else if ((c === 34 || c === 39) && atToken) quote = c;
        else atToken = false;
        continue;
      }
      const nx = k + 1 < lineEnd ? text.charCodeAt(k + 1) : 32;
      if ((c === 58 /* : */ || (atToken && (c === 45 /* - */ || c === 63) /* ? */)) && isBlank(nx)) {
        if (c === 45 && ++entryCount > entryCap && entries!.over === -1) entries!.over = k;
        let m = k + 1;
        while (m < lineEnd && isBlank(text.charCodeAt(m))) m++;
        if (m < lineEnd && text.charCodeAt(m) !== 35) {
          stack.push(m - pos);
          if (check(m)) return firstOver;
        }
        atToken = true;
        continue;
      }
      if (atToken) {
        if (c === 91 || c === 123) {
          flow = 1;
          if (check(k)) return firstOver;
          continue;
        }
        if (c === 34 || c === 39) {
          quote = c;
          continue;
        }
        if (c === 124 || c === 62) {
          // block scalar: its content lines are indented more than the parent collection
          blockScalarParent = stack.length >= 2 ? stack[stack.length - 2]! : -1;
          break;
        }
        if (c === 38 || c === 33) {
          // anchor or tag: skip the property, the node follows
          while (k + 1 < lineEnd && !isBlank(text.charCodeAt(k + 1))) k++;
          continue;
        }
      }
      atToken = false;
    }
    pos = next;
  }
  return -1;
}
