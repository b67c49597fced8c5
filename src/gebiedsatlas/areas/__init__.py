"""Areas: the CBS hierarchy (land, provincie, gemeente, wijk, buurt) and named area sets."""
