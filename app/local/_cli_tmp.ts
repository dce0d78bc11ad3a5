import { startFakeBedrock, NO_PACING } from "./fake-bedrock";
startFakeBedrock({ pacing: NO_PACING, port: 18999 }).then(f => console.log(f.url));
