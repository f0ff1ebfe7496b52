<?php
/**
 * Router for PHP's built-in server (php -S … router.php), standing in for the
 * rewrite rules of Apache or nginx: existing files are served as they are,
 * everything else goes to WordPress's front controller, so pretty permalinks,
 * /wp-json/… and /wp-admin/ work. Private files (dotfiles such as the SQLite
 * database, logs) are never served.
 */

$sluice_root = rtrim( $_SERVER['DOCUMENT_ROOT'], '/' );
$sluice_path = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );

if ( preg_match( '#(^|/)\.|\.(log|sqlite)$#i', $sluice_path ) ) {
	http_response_code( 404 );
	header( 'Content-Type: text/plain' );
	echo "Not found\n";
	return true;
}

$sluice_target = realpath( $sluice_root . $sluice_path );
$sluice_inside = false !== $sluice_target
	&& ( $sluice_target === $sluice_root || str_starts_with( $sluice_target, $sluice_root . '/' ) );

if ( $sluice_inside && is_dir( $sluice_target ) ) {
	if ( is_file( $sluice_target . '/index.php' ) ) {
		if ( ! str_ends_with( $sluice_path, '/' ) ) {
			// /wp-admin → /wp-admin/, so that relative links resolve.
			$sluice_query = parse_url( $_SERVER['REQUEST_URI'], PHP_URL_QUERY );
			header( 'Location: ' . $sluice_path . '/' . ( $sluice_query ? '?' . $sluice_query : '' ), true, 301 );
			return true;
		}
		return false;
	}
} elseif ( $sluice_inside && is_file( $sluice_target ) ) {
	// Static files and PHP scripts (wp-login.php, wp-admin/*.php) as they are.
	return false;
}

// WordPress front controller.
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $sluice_root . '/index.php';
chdir( $sluice_root );
require $sluice_root . '/index.php';
