<?php
// Surface test for the generated PHP client: the method names, parameter names and result
// types PHP callers of the Sessions and Orders APIs rely on, read by reflection from the
// generated SessionsApi and OrdersApi classes (one per tag of the spec), and the types the
// generated models give the extensible fields.
// Usage: php surface_test.php GENERATED_LIB_DIR FIELDS_JSON
//
// The generated methods declare no PHP return types; what they return is stated in their
// docblock `@return` and decided in <operation>WithHttpInfo, which picks the model class
// per status code (`case 200: return $this->handleResponseWithDataType('<class>', ...)`).
// Both are checked.
declare(strict_types=1);

require __DIR__ . '/autoload.php';

[, $lib, $fieldsFile] = $argv;
klarna_generated_php_client_autoload($lib);

$passed = 0;
$failed = 0;
function check(bool $ok, string $what, string $detail = ''): void
{
    global $passed, $failed;
    if ($ok) {
        $passed++;
        echo "PASS $what\n";
    } else {
        $failed++;
        echo "FAIL $what" . ($detail === '' ? '' : ": $detail") . "\n";
    }
}

const M = '\\OpenAPI\\Client\\Model\\';

/** @return list<string> the types in the docblock tag, e.g. `@return A|B` gives [A, B] */
function doc_types(ReflectionMethod $m, string $tag, string $param = ''): array
{
    $pattern = $param === ''
        ? '/@' . $tag . '\s+(\S+)/'
        : '/@' . $tag . '\s+(\S+)\s+\$' . preg_quote($param, '/') . '\b/';
    return preg_match($pattern, (string) $m->getDocComment(), $match) ? explode('|', $match[1]) : [];
}

/** The class the WithHttpInfo method deserializes a given status code's body into. */
function class_for_status(ReflectionClass $api, string $operation, int $status): ?string
{
    $m = $api->getMethod($operation . 'WithHttpInfo');
    $lines = array_slice(file($m->getFileName()), $m->getStartLine() - 1, $m->getEndLine() - $m->getStartLine() + 1);
    $source = implode('', $lines);
    $pattern = '/case ' . $status . ':\s*return \$this->handleResponseWithDataType\(\s*\'([^\']+)\'/';
    return preg_match($pattern, $source, $match) ? $match[1] : null;
}

// API class => operation => [parameter names the caller passes, @param types of them, success status, success class or void]
$expected = [
    'SessionsApi' => [
        'createCreditSession' => [['body'], ['body' => M . 'SessionCreate'], 200, M . 'MerchantSession'],
        'readCreditSession' => [['session_id'], ['session_id' => 'string'], 200, M . 'SessionRead'],
        'updateCreditSession' => [['session_id', 'body'], ['session_id' => 'string', 'body' => M . 'SessionUpdate'], 204, 'void'],
        'cancelCreditSession' => [['session_id'], ['session_id' => 'string'], 204, 'void'],
    ],
    'OrdersApi' => [
        'createOrder' => [['authorization_token', 'body'], ['authorization_token' => 'string', 'body' => M . 'OrderCreate'], 200, M . 'Order'],
        'cancelAuthorization' => [['authorization_token'], ['authorization_token' => 'string'], 204, 'void'],
        'purchaseToken' => [['authorization_token', 'body'], ['authorization_token' => 'string', 'body' => M . 'CustomerTokenCreate'], 200, M . 'CustomerToken'],
    ],
];

/** @param array<string, array{list<string>, array<string,string>, int, string}> $operations */
function check_operations(ReflectionClass $api, string $apiName, array $operations): void
{
    foreach ($operations as $operation => [$params, $paramTypes, $status, $result]) {
        if (!$api->hasMethod($operation)) {
            check(false, "$apiName::$operation exists");
            continue;
        }
        $m = $api->getMethod($operation);
        $required = array_map(fn ($p) => $p->getName(), array_filter($m->getParameters(), fn ($p) => !$p->isOptional()));
        $optional = array_map(fn ($p) => $p->getName(), array_filter($m->getParameters(), fn ($p) => $p->isOptional()));
        $signature = "$operation(" . implode(', ', array_map(fn ($p) => '$' . $p, $required)) . ')';
        check($m->isPublic() && array_values($required) === $params, "$apiName::$signature",
            'required parameters are (' . implode(', ', $required) . ')');
        check(array_values($optional) === ['contentType'], "$apiName::$operation has only \$contentType optional",
            'optional parameters are (' . implode(', ', $optional) . ')');
        foreach ($paramTypes as $param => $type) {
            $declared = doc_types($m, 'param', $param);
            check($declared === [$type], "$apiName::$operation @param $type \$$param", 'declared: ' . implode('|', $declared));
        }
        $returns = doc_types($m, 'return');
        if ($result === 'void') {
            check($returns === ['void'], "$apiName::$operation @return void", 'declared: ' . implode('|', $returns));
            check(class_for_status($api, $operation, $status) === null, "$apiName::$operation decodes no $status body");
        } else {
            // The docblock lists the error model once per documented error status after the
            // success model (e.g. MerchantSession|ErrorResponse|ErrorResponse|...).
            $others = array_values(array_unique(array_slice($returns, 1)));
            check(($returns[0] ?? null) === $result && array_diff($others, [M . 'ErrorResponse']) === [],
                "$apiName::$operation @return $result (then only ErrorResponse)", 'declared: ' . implode('|', $returns));
            $decoded = class_for_status($api, $operation, $status);
            check($decoded === $result, "$apiName::{$operation}WithHttpInfo decodes a $status body into $result",
                'decodes into ' . var_export($decoded, true));
        }
    }
}

foreach ($expected as $apiName => $operations) {
    if (!class_exists("OpenAPI\\Client\\Api\\$apiName")) {
        check(false, "$apiName exists");
        continue;
    }
    $api = new ReflectionClass("OpenAPI\\Client\\Api\\$apiName");
    check_operations($api, $apiName, $operations);
}

// Every extensible field is a plain string in the generated models: no enum check, no
// allowable-values list a value could be refused against.
$fields = json_decode(file_get_contents($fieldsFile), true, 512, JSON_THROW_ON_ERROR);
foreach ($fields as $kind) {
    if (!is_array($kind)) {
        continue;
    }
    $root = M . str_replace(' ', '', ucwords(str_replace('_', ' ', $kind['model'])));
    foreach ($kind['extensible'] as $path) {
        $class = $root;
        $segments = explode('.', str_replace('[]', '', $path));
        $leaf = array_pop($segments);
        foreach ($segments as $segment) {
            $class = rtrim($class::openAPITypes()[$segment], '[]');
        }
        $type = $class::openAPITypes()[$leaf] ?? null;
        $property = array_search($leaf, $class::attributeMap(), true);
        $allowable = 'get' . str_replace(' ', '', ucwords(str_replace('_', ' ', (string) $property))) . 'AllowableValues';
        check($type === 'string' && !method_exists($class, $allowable),
            "$root $path is a plain string ($class::\$$property)",
            "type " . var_export($type, true) . (method_exists($class, $allowable) ? ", has $allowable()" : ''));
    }
}

printf("%d passed, %d failed\n", $passed, $failed);
exit($failed > 0 ? 1 : 0);
