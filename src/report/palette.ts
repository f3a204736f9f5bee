/**
 * One colour per phase, shared by every reporter so a phase looks the same in the
 * terminal table, the terminal histograms and the HTML report. `ansi` is the chalk
 * colour name (table.ts applies it); `css` is the HTML badge/bar colour of the same hue,
 * and `ink` the text colour that reads on it (WCAG AA against `css`).
 */
import type { PhaseName } from '../schema/index.js';

export type AnsiColor = 'gray' | 'cyan' | 'blue' | 'yellow' | 'green' | 'red';

export interface PhaseColor {
  readonly ansi: AnsiColor;
  readonly css: string;
  readonly ink: string;
}

export const PHASE_PALETTE: Readonly<Record<PhaseName, PhaseColor>> = {
  'random-like': { ansi: 'gray', css: '#6c757d', ink: '#ffffff' },
  'bleeding-out': { ansi: 'cyan', css: '#0b7285', ink: '#ffffff' },
  'bulk+spikes': { ansi: 'blue', css: '#1864ab', ink: '#ffffff' },
  'bulk-decay': { ansi: 'yellow', css: '#f59f00', ink: '#212529' },
  'heavy-tailed': { ansi: 'green', css: '#2b8a3e', ink: '#ffffff' },
  'rank-collapse': { ansi: 'red', css: '#c92a2a', ink: '#ffffff' },
};
