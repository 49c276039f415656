import { createMemoryStores } from '../../adapters/memory/index.ts';
import { storeContract } from './contract/index.ts';

storeContract('memory', async (clock) => createMemoryStores({ clock }));
