/** The engine contract the sessions drive (the Baileys adapter in engine/baileys/ implements it). */
export * from './engine.ts';
