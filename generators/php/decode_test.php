<?php
// Decode test for the generated PHP client.
// Usage: php decode_test.php GENERATED_LIB_DIR FIELDS_JSON CORPUS_ROOT...
//
// For each corpus file (CORPUS_ROOT/<kind>/*.json, kinds as in fields.json): decode it exactly as the generated SessionsApi and OrdersApi do with a
// 200 answer (json_decode to objects, then ObjectSerializer::deserialize into the model class),
// then compare every path listed in fields.json (a) read through the model's getters and
// (b) in the model re-encoded as the generated client encodes a request body
// (json_encode(ObjectSerializer::sanitizeForSerialization(...))), with the value in the
// corpus file. Absent and null count as the same.
declare(strict_types=1);

require __DIR__ . '/autoload.php';

use OpenAPI\Client\Model\ModelInterface;
use OpenAPI\Client\ObjectSerializer;

const MISSING = '<missing>';

function canon(mixed $v): string
{
    if ($v === null) {
        return MISSING;
    }
    if (is_string($v)) {
        return json_encode($v, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
    }
    if (is_int($v)) {
        return (string) $v;
    }
    return '<' . get_debug_type($v) . ': ' . var_export($v, true) . '>';
}

/** @param list<string> $segments @param array<string,string> $out */
function collect(mixed $node, array $segments, string $path, callable $get, array &$out): void
{
    $segment = $segments[0];
    $rest = array_slice($segments, 1);
    $isList = str_ends_with($segment, '[]');
    $key = $isList ? substr($segment, 0, -2) : $segment;
    $here = $path === '' ? $key : "$path.$key";
    $value = $get($node, $key);
    if ($value === null) {
        if ($rest === []) {
            $out[$here] = MISSING;
        }
        return;
    }
    if (!$isList) {
        if ($rest !== []) {
            collect($value, $rest, $here, $get, $out);
        } else {
            $out[$here] = canon($value);
        }
        return;
    }
    if (!is_array($value) || !array_is_list($value)) {
        $out[$here] = '<not a list: ' . get_debug_type($value) . '>';
        return;
    }
    foreach ($value as $i => $element) {
        $at = "{$here}[$i]";
        if ($rest === []) {
            $out[$at] = canon($element);
        } elseif ($element !== null) {
            collect($element, $rest, $at, $get, $out);
        }
    }
}

/** @param list<string> $paths @return array<string,string> */
function values(mixed $root, array $paths, callable $get): array
{
    $out = [];
    foreach ($paths as $p) {
        collect($root, explode('.', $p), '', $get, $out);
    }
    ksort($out);
    return $out;
}

/** @return list<string> */
function differences(array $expected, array $actual): array
{
    $keys = array_unique(array_merge(array_keys($expected), array_keys($actual)));
    sort($keys);
    $diffs = [];
    foreach ($keys as $k) {
        $e = $expected[$k] ?? MISSING;
        $a = $actual[$k] ?? MISSING;
        if ($e !== $a) {
            $diffs[] = "$k: corpus $e, got $a";
        }
    }
    return $diffs;
}

function get_json(mixed $node, string $key): mixed
{
    return is_array($node) && !array_is_list($node) ? ($node[$key] ?? null) : null;
}

// The generated models map JSON names to properties (attributeMap) and properties to getters.
function get_model(mixed $node, string $key): mixed
{
    if (!$node instanceof ModelInterface) {
        return null;
    }
    $property = array_search($key, $node::attributeMap(), true);
    if ($property === false) {
        throw new LogicException(get_class($node) . " has no property for $key");
    }
    $getter = $node::getters()[$property];
    return $node->$getter();
}

function upper_camel(string $snake): string
{
    return str_replace(' ', '', ucwords(str_replace('_', ' ', $snake)));
}

[, $lib, $fieldsFile] = $argv;
$roots = array_slice($argv, 3);
klarna_generated_php_client_autoload($lib);
$fields = json_decode(file_get_contents($fieldsFile), true, 512, JSON_THROW_ON_ERROR);
$kinds = array_keys(array_filter($fields, 'is_array'));
sort($kinds);
$files = [];
foreach ($roots as $root) {
    foreach ($kinds as $k) {
        $found = glob("$root/$k/*.json");
        sort($found);
        foreach ($found as $f) {
            $files[] = [$f, $fields[$k]];
        }
    }
}
$passed = 0;
$failed = 0;
foreach ($files as [$name, $kind]) {
    $file = $name;
    $paths = array_merge($kind['extensible'], $kind['plain']);
    $text = file_get_contents($file);
    $raw = json_decode($text, true, 512, JSON_THROW_ON_ERROR);
    $expected = values($raw, $paths, 'get_json');
    $problems = [];
    try {
        $class = '\\OpenAPI\\Client\\Model\\' . upper_camel($kind['model']);
        $model = ObjectSerializer::deserialize(json_decode($text, false, 512, JSON_THROW_ON_ERROR), $class, []);
        foreach (differences($expected, values($model, $paths, 'get_model')) as $d) {
            $problems[] = "model $d";
        }
        $encoded = json_decode(
            json_encode(ObjectSerializer::sanitizeForSerialization($model), JSON_THROW_ON_ERROR),
            true, 512, JSON_THROW_ON_ERROR
        );
        foreach (differences($expected, values($encoded, $paths, 'get_json')) as $d) {
            $problems[] = "re-encoded $d";
        }
    } catch (Throwable $e) {
        $problems[] = get_class($e) . ': ' . $e->getMessage() . ' (' . basename($e->getFile()) . ':' . $e->getLine() . ')';
    }
    if ($problems === []) {
        $passed++;
        $extensible = count(values($raw, $kind['extensible'], 'get_json'));
        printf("PASS %s (%d extensible + %d other values)\n", $name, $extensible, count($expected) - $extensible);
    } else {
        $failed++;
        printf("FAIL %s: %s\n", $name, implode('; ', $problems));
    }
}
printf("%d passed, %d failed\n", $passed, $failed);
exit($failed > 0 ? 1 : 0);
