package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.LocalObjectReference;

/**
 * Where the migration scripts come from. Exactly one of {@code configMapRef} or {@code image} is set.
 * Scripts follow Flyway's naming: {@code V<version>__<description>.sql}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SourceSpec {
    public static final String DEFAULT_IMAGE_PATH = "/migrations";

    @JsonPropertyDescription("A ConfigMap in the same namespace whose keys are the script file names.")
    private LocalObjectReference configMapRef;

    @JsonPropertyDescription("An image holding the scripts under `path`; an init container copies them with `cp`, so the image needs a POSIX cp (busybox is enough). Pin it by digest.")
    private String image;

    @JsonPropertyDescription("Directory of the scripts inside `image`. Defaults to /migrations.")
    private String path;

    public LocalObjectReference getConfigMapRef() { return configMapRef; }
    public void setConfigMapRef(LocalObjectReference configMapRef) { this.configMapRef = configMapRef; }
    public String getImage() { return image; }
    public void setImage(String image) { this.image = image; }
    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }

    public String pathOrDefault() { return path == null || path.isBlank() ? DEFAULT_IMAGE_PATH : path; }
}
