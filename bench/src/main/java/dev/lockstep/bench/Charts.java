package dev.lockstep.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** PNG charts of a benchmark's samples, drawn by XChart (headless). */
final class Charts {
    private Charts() {}

    /**
     * Bars of each subject's median, one series per measure (e.g. wall and CPU seconds), each sample of a series as a
     * point would be lost in a bar: the CSV beside it has them all.
     */
    static Path bars(Path file, String title, String yTitle, List<String> subjects, Map<String, List<Double>> series)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(900).height(480).title(title).xAxisTitle("").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("0.00");
        series.forEach((name, values) -> chart.addSeries(name, subjects, values));
        String name = file.getFileName().toString().replaceFirst("\\.png$", "");
        BitmapEncoder.saveBitmap(chart, file.getParent().resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }
}
