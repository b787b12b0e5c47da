import type { Rule } from 'eslint';
export declare const LAYERS: readonly string[];
export declare const layerBoundaries: Rule.RuleModule;
