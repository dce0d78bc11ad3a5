import * as z from "zod";
import { pricesSchema } from "../models/catalog-schema";

/**
 * The `modelPrices` setting: model ID patterns (`*` matches anything) -> a price list replacing the catalog's
 * (usage/cost.ts). Zod only: the settings registry, which infra/ loads too, imports it.
 */
export const modelPricesSchema = z.record(z.string().min(1).max(256), pricesSchema);
export type ModelPrices = z.output<typeof modelPricesSchema>;
