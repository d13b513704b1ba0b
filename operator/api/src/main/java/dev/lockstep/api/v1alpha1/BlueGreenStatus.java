package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where a blue/green rollout stands. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BlueGreenStatus {
    @JsonPropertyDescription("Idle, PreviewGated, PreviewReady, Flipped or Draining; Unknown only when read from a newer operator.")
    private BlueGreenPhase state;

    @JsonPropertyDescription("The color the Service selects.")
    private String activeColor;

    @JsonPropertyDescription("The other color, where the new code comes up.")
    private String previewColor;

    @JsonPropertyDescription("When the Service was last switched (RFC 3339).")
    private String lastFlip;

    @JsonPropertyDescription("What the rollout waits for, or how to roll back.")
    private String message;

    public BlueGreenPhase getState() { return state; }
    public void setState(BlueGreenPhase state) { this.state = state; }
    public String getActiveColor() { return activeColor; }
    public void setActiveColor(String activeColor) { this.activeColor = activeColor; }
    public String getPreviewColor() { return previewColor; }
    public void setPreviewColor(String previewColor) { this.previewColor = previewColor; }
    public String getLastFlip() { return lastFlip; }
    public void setLastFlip(String lastFlip) { this.lastFlip = lastFlip; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
}
