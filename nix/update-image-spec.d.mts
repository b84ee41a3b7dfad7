// Types of update-image-spec.mjs, for the tests that import it.
export declare const ROOT: string;
export declare const SPEC_COPY: string;
export declare const IMAGE_PROFILE: string;
/** The one line the Kubernetes variant's image.json adds to the standard one. */
export declare const EGRESS_WALL_LINE: string;
/** Bakes the layer with dist/perimeter.cjs and returns the bytes of its /etc/perimeter/image.json. */
export declare function bakedSpec(profile?: string, egressWall?: "network" | "orchestrator"): Buffer;
