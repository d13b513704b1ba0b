package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/**
 * Two sets of pods told apart by a color label; a Service whose selector names the active color. The operator
 * switches the selector to the other color once every pod of that color is Ready, which, with the rolling gate,
 * means on the schema revision they require.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BlueGreenSpec {
    public static final String DEFAULT_COLOR_LABEL = "lockstep.dev/color";

    @Required
    @JsonPropertyDescription("Name of the Service (in this namespace) whose selector the operator switches.")
    private String service;

    @JsonPropertyDescription("Pod label holding the color, also in the Service's selector. Defaults to lockstep.dev/color.")
    private String colorLabel;

    public String getService() { return service; }
    public void setService(String service) { this.service = service; }
    public String getColorLabel() { return colorLabel; }
    public void setColorLabel(String colorLabel) { this.colorLabel = colorLabel; }

    public String colorLabelOrDefault() {
        return colorLabel == null || colorLabel.isBlank() ? DEFAULT_COLOR_LABEL : colorLabel;
    }
}
