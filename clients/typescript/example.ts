// A small client of the Agora API typed by the generated description (`agora.d.ts`, made by
// openapi-typescript from ../../openapi.json; see README.md, "API description"). It registers,
// logs in, lists a product for sale, stocks it and places an order as a second user.
// `tsc --noEmit` type-checks it (scripts/test): a change of the API that breaks this flow
// breaks the check. Run it with `npx tsx example.ts http://127.0.0.1:8080`.

import type { paths } from "./agora";

// Node's globals, declared here so the check needs no @types package.
declare const process: { argv: string[]; exit(code: number): never };

type Method = "get" | "post" | "put" | "patch" | "delete";

// The JSON body an operation accepts, and the JSON body of its success answer.
type RequestBody<P extends keyof paths, M extends Method> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;
type SuccessBody<P extends keyof paths, M extends Method> = paths[P][M] extends {
  responses: infer R;
}
  ? {
      [S in keyof R]: S extends 200 | 201 | 202
        ? R[S] extends { content: { "application/json": infer B } }
          ? B
          : never
        : never;
    }[keyof R]
  : never;

class Agora {
  token?: string;
  constructor(readonly base: string) {}

  async call<P extends keyof paths, M extends Method>(
    method: M,
    path: P,
    params: Record<string, string>,
    body?: RequestBody<P, M>,
  ): Promise<SuccessBody<P, M>> {
    const url = String(path).replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(params[name] ?? ""),
    );
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(this.base + url, {
      method: method.toUpperCase(),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`${method.toUpperCase()} ${url}: ${response.status} ${await response.text()}`);
    }
    return (await response.json()) as SuccessBody<P, M>;
  }

  async signUp(email: string, password: string): Promise<string> {
    const user = await this.call("post", "/api/v1/users", {}, {
      email,
      password,
      display_name: email.split("@")[0] ?? "user",
    });
    const session = await this.call("post", "/api/v1/sessions", {}, { email, password });
    this.token = session.access_token;
    return user.id;
  }
}

async function main(base: string): Promise<void> {
  const stamp = Date.now();
  const seller = new Agora(base);
  await seller.signUp(`seller-${stamp}@example.org`, "correct horse battery staple");
  const sku = `MUG-${stamp}`;
  const product = await seller.call("post", "/api/v1/products", {}, {
    title: "A mug",
    description: "Holds tea",
    category: "kitchen",
    price: { amount_minor: 1250, currency: "EUR" },
    sku,
  });
  await seller.call("post", "/api/v1/products/{id}/publish", { id: product.id });
  await seller.call("post", "/api/v1/inventory/{sku}/receipts", { sku }, { quantity: 10 });

  const buyer = new Agora(base);
  await buyer.signUp(`buyer-${stamp}@example.org`, "correct horse battery staple");
  const order = await buyer.call("post", "/api/v1/orders", {}, {
    lines: [{ product_id: product.id, quantity: 2 }],
    shipping_address: {
      name: "Ada Buyer",
      line1: "1 Main Street",
      city: "Lyon",
      postal_code: "69001",
      country: "FR",
    },
    payment: { method: "card", token: "tok_visa" },
  });
  console.log(`order ${order.id}: ${order.status}`);
}

main(process.argv[2] ?? "http://127.0.0.1:8080").catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
