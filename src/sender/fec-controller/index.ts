/** FEC controller: protection factors for the FEC encoder from bitrate, loss, RTT (libwebrtc's FecControllerDefault). */
export * from './controller.ts';
export * from './errors.ts';
export * from './loss-filter.ts';
export * from './packets-per-frame.ts';
export * from './protection.ts';
export * from './protection-options.ts';
export * from './rate-table.ts';
export * from './rate-table-diff.ts';
