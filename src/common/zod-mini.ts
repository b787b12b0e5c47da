// zod/mini with English issue messages. Every module outside src/devcontainer/ and src/image/
// imports zod through this one: zod/mini is the same zod v4 core as the classic
// `zod` package at a fraction of its size, which keeps the start-up of commands
// like `pks devcontainer list` fast. Unlike classic zod it loads no locale, so
// its issues would all read "Invalid input"; configuring English here, once,
// keeps the messages pks prints (hosts file, engine answers, SSH options) the
// same whether or not classic zod is loaded too (they share one global config).

import * as z from 'zod/mini';
import { en } from 'zod/locales';

z.config(en());

export * from 'zod/mini';
