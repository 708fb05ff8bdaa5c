// Decode test for the generated Java client (library native, Jackson).
// Usage: java -cp CLIENT_CLASSES:JACKSON DecodeTest FIELDS_JSON CORPUS_ROOT...
//
// For each corpus file (CORPUS_ROOT/<kind>/*.json, kinds as in fields.json): decode it with the ObjectMapper of the generated ApiClient (what the
// generated SessionsApi and OrdersApi do with a 200 answer), then compare every path listed in
// fields.json (a) read through the model's getters and (b) in the model re-encoded by the
// same ObjectMapper, with the value in the corpus file. Absent and null count as the same.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.openapitools.client.ApiClient;

public class DecodeTest {
  static final String MISSING = "<missing>";
  static final ObjectMapper MAPPER = new ApiClient().getObjectMapper();

  static boolean isMissing(Object v) {
    return v == null || (v instanceof JsonNode && ((JsonNode) v).isNull());
  }

  static String canon(Object v) throws Exception {
    if (isMissing(v)) return MISSING;
    if (v instanceof JsonNode) {
      JsonNode n = (JsonNode) v;
      if (n.isTextual()) return MAPPER.writeValueAsString(n.textValue());
      if (n.isIntegralNumber()) return n.bigIntegerValue().toString();
      return "<" + n.getNodeType() + ": " + n + ">";
    }
    if (v instanceof String) return MAPPER.writeValueAsString(v);
    if (v instanceof Long || v instanceof Integer) return v.toString();
    return "<" + v.getClass().getName() + ": " + v + ">";
  }

  static List<Object> elements(Object list) {
    List<Object> out = new ArrayList<>();
    if (list instanceof JsonNode) ((JsonNode) list).forEach(out::add);
    else out.addAll((List<?>) list);
    return out;
  }

  static boolean isList(Object v) {
    return v instanceof List || (v instanceof JsonNode && ((JsonNode) v).isArray());
  }

  static void collect(Object node, List<String> segments, String path, BiFunction<Object, String, Object> get,
      Map<String, String> out) throws Exception {
    String segment = segments.get(0);
    List<String> rest = segments.subList(1, segments.size());
    boolean list = segment.endsWith("[]");
    String key = list ? segment.substring(0, segment.length() - 2) : segment;
    String here = path.isEmpty() ? key : path + "." + key;
    Object value = get.apply(node, key);
    if (isMissing(value)) {
      if (rest.isEmpty()) out.put(here, MISSING);
      return;
    }
    if (!list) {
      if (!rest.isEmpty()) collect(value, rest, here, get, out);
      else out.put(here, canon(value));
      return;
    }
    if (!isList(value)) {
      out.put(here, "<not a list: " + value.getClass().getName() + ">");
      return;
    }
    List<Object> items = elements(value);
    for (int i = 0; i < items.size(); i++) {
      String at = here + "[" + i + "]";
      if (rest.isEmpty()) out.put(at, canon(items.get(i)));
      else if (!isMissing(items.get(i))) collect(items.get(i), rest, at, get, out);
    }
  }

  static Map<String, String> values(Object root, List<String> paths, BiFunction<Object, String, Object> get)
      throws Exception {
    Map<String, String> out = new TreeMap<>();
    for (String p : paths) collect(root, Arrays.asList(p.split("\\.")), "", get, out);
    return out;
  }

  static List<String> differences(Map<String, String> expected, Map<String, String> actual) {
    TreeSet<String> keys = new TreeSet<>(expected.keySet());
    keys.addAll(actual.keySet());
    List<String> diffs = new ArrayList<>();
    for (String k : keys) {
      String e = expected.getOrDefault(k, MISSING);
      String a = actual.getOrDefault(k, MISSING);
      if (!e.equals(a)) diffs.add(k + ": corpus " + e + ", got " + a);
    }
    return diffs;
  }

  static String upperCamel(String snake) {
    return Arrays.stream(snake.split("_"))
        .map(s -> s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1))
        .collect(Collectors.joining());
  }

  static Object getJson(Object node, String key) {
    return node instanceof JsonNode && ((JsonNode) node).isObject() ? ((JsonNode) node).get(key) : null;
  }

  // The generated models have a getter get<UpperCamel> for each property.
  static Object getModel(Object node, String key) {
    try {
      return node.getClass().getMethod("get" + upperCamel(key)).invoke(node);
    } catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException(node.getClass().getSimpleName() + " has no getter for " + key, e);
    }
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  public static void main(String[] args) throws Exception {
    JsonNode fields = MAPPER.readTree(Files.readString(Path.of(args[0])));
    List<String> kinds = new ArrayList<>();
    fields.fieldNames().forEachRemaining(k -> {
      if (fields.get(k).isObject()) kinds.add(k);
    });
    kinds.sort(null);
    List<Path> files = new ArrayList<>();
    for (String root : Arrays.asList(args).subList(1, args.length)) {
      for (String k : kinds) {
        Path dir = Path.of(root, k);
        if (!Files.isDirectory(dir)) continue;
        try (var stream = Files.list(dir)) {
          stream.filter(p -> p.toString().endsWith(".json")).sorted().forEach(files::add);
        }
      }
    }
    int passed = 0;
    int failed = 0;
    for (Path file : files) {
      String name = file.toString();
      JsonNode kind = fields.get(file.getParent().getFileName().toString());
      List<String> extensible = strings(kind.get("extensible"));
      List<String> paths = new ArrayList<>(extensible);
      paths.addAll(strings(kind.get("plain")));
      String text = Files.readString(file);
      JsonNode raw = MAPPER.readTree(text);
      Map<String, String> expected = values(raw, paths, DecodeTest::getJson);
      List<String> problems = new ArrayList<>();
      try {
        Class<?> model = Class.forName("org.openapitools.client.model." + upperCamel(kind.get("model").asText()));
        Object decoded = MAPPER.readValue(text, model);
        for (String d : differences(expected, values(decoded, paths, DecodeTest::getModel))) {
          problems.add("model " + d);
        }
        JsonNode encoded = MAPPER.valueToTree(decoded);
        for (String d : differences(expected, values(encoded, paths, DecodeTest::getJson))) {
          problems.add("re-encoded " + d);
        }
      } catch (Exception e) {
        problems.add(e.toString().replaceAll("\\s+", " "));
      }
      if (problems.isEmpty()) {
        passed++;
        int ext = values(raw, extensible, DecodeTest::getJson).size();
        System.out.println("PASS " + name + " (" + ext + " extensible + " + (expected.size() - ext) + " other values)");
      } else {
        failed++;
        System.out.println("FAIL " + name + ": " + String.join("; ", problems));
      }
    }
    System.out.println(passed + " passed, " + failed + " failed");
    System.exit(failed > 0 ? 1 : 0);
  }
}
