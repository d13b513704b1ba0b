package dev.lockstep.testkit;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The dashboard's panels drawn with JFreeChart from what a real Prometheus answered to the dashboard's own queries:
 * what docs/observability.md shows a user will see. Seconds since the start on the x axis.
 */
final class DashboardPicture {
    /** One panel: its title, unit and the series its queries returned, each with a legend. */
    record Panel(String title, String unit, List<Line> lines) {}

    record Line(String legend, PrometheusServer.Series series) {}

    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};
    private static final int COLUMNS = 2;
    private static final int WIDTH = 720;
    private static final int HEIGHT = 300;

    private DashboardPicture() {}

    static void write(List<Panel> panels, Instant start, Path file) throws IOException {
        int rows = (panels.size() + COLUMNS - 1) / COLUMNS;
        BufferedImage image = new BufferedImage(COLUMNS * WIDTH, rows * HEIGHT + 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString("Lockstep: one run on the test control plane, as Prometheus answered the dashboard's queries", 16, 27);
        for (int i = 0; i < panels.size(); i++) {
            JFreeChart chart = chart(panels.get(i), start);
            chart.draw(g, new Rectangle2D.Double((i % COLUMNS) * WIDTH, 40 + (i / COLUMNS) * HEIGHT, WIDTH, HEIGHT));
        }
        g.dispose();
        Files.createDirectories(file.toAbsolutePath().getParent());
        ImageIO.write(image, "png", file.toFile());
    }

    private static JFreeChart chart(Panel panel, Instant start) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Line line : panel.lines()) {
            XYSeries series = new XYSeries(line.legend(), true, true);
            var s = line.series();
            for (int i = 0; i < s.times().size(); i++) {
                double v = s.values().get(i);
                if (!Double.isNaN(v)) {
                    series.addOrUpdate((s.times().get(i).toEpochMilli() - start.toEpochMilli()) / 1000.0, v);
                }
            }
            data.addSeries(series);
        }
        String axis = switch (panel.unit()) {
            case "s" -> "seconds";
            case "ops" -> "per second";
            default -> "count";
        };
        JFreeChart chart = ChartFactory.createXYLineChart(panel.title(), "seconds since the first scrape", axis, data);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(new Color(248, 248, 250));
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        plot.setRenderer(renderer);
        if ("short".equals(panel.unit())) {
            ((NumberAxis) plot.getRangeAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        }
        return chart;
    }
}
