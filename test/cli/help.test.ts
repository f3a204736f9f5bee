/**
 * Issue 15, item 5: `rmt-analyze --help` shows the analysis options, examples and exit
 * codes; no arguments prints the usage (exit 2); a mistyped subcommand gets a suggestion.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';
import { editDistance } from '../../src/commands/help.js';

describe('help', () => {
  it('--help: the commands, the analysis options, examples and exit codes, on stdout', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const text of [
      /^Usage: rmt-analyze \[analyze\] \[options\] <model\.\.\.>/,
      /\n {2}compare \[options\] <old> <new>/,
      /\nAnalysis options \(rmt-analyze \[analyze\] \[options\] <model\.\.\.>\):\n/,
      /\n {2}--layers <glob> /,
      /\n {2}--fail-on-phase <phases> /,
      /\n {2}--report <file> /,
      /\nExamples:\n {2}rmt-analyze model\.onnx /,
      /\nExit codes:\n {2}0 .*\n {2}1 .*gate.*\n {2}2 .*usage error/,
    ])
      expect(r.stdout).toMatch(text);
    // analyze --help is the same options
    expect(runCli(['analyze', '--help']).stdout).toMatch(/\n {2}--fail-on-phase <phases> /);
  });

  it('no arguments: the usage on stderr, exit 2, nothing on stdout', () => {
    for (const args of [[], ['--debug']]) {
      const r = runCli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^Usage: rmt-analyze /);
      expect(r.stderr).toMatch(/\n {2}analyze \[options\] <model\.\.\.>/);
      expect(r.stderr).toMatch(/Run 'rmt-analyze --help' for the options, examples and exit codes\.\n$/);
      expect(r.stderr).not.toMatch(/missing required argument/);
    }
  });

  it.each([
    ['anaylze', 'analyze'],
    ['comapre', 'compare'],
    ['plto', 'plot'],
    ['merg', 'merge'],
  ])('a mistyped subcommand %s: did you mean %s (exit 2)', (typo, command) => {
    const r = runCli([typo, 'model.onnx']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `rmt-analyze: unknown command '${typo}' (did you mean '${command}'?); a model of that name would be given as ./${typo}\n`,
    );
  });

  it('a missing model that is no command is still "no such file"', () => {
    const r = runCli(['weights']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rmt-analyze: weights: no such file or directory\n');
  });

  it('edit distance counts a transposition as one edit', () => {
    expect(editDistance('anaylze', 'analyze')).toBe(1);
    expect(editDistance('plot', 'plot')).toBe(0);
    expect(editDistance('weights', 'merge')).toBeGreaterThan(2);
  });
});
